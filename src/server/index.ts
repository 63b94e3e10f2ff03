/** weft's HTTP app (`weft/server`), with the types its options name. */
export type { Encoders } from '../registry/copies.js';
export { checkKey, type Store, StoreError, type Versioned } from '../registry/store.js';
export { type AppOptions, createApp } from './app.js';
export { type AuthLimitOptions, type ClientAddress, clientAddresses } from './auth-limit.js';
export type { EdgeCache } from './edge-cache.js';
export { ApiError } from './errors.js';
export type { Assets } from './routes/scripts.js';
