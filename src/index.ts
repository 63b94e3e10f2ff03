// weft's pure core, shared by the probe, the SDK and the server.
export * from './profile/caps.js';
