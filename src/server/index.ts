export { type AppOptions, createApp } from './app.js';
export { ApiError } from './errors.js';
export { checkKey, type Store, StoreError } from './store.js';
