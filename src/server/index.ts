export { checkKey, type Store, StoreError } from '../registry/store.js';
export { type AppOptions, createApp } from './app.js';
export { type ClientAddress, clientAddresses } from './auth-limit.js';
export { ApiError } from './errors.js';
