/**
 * `import app from 'weft:app'`: the module's pinned manifest, inlined at build time by weft's
 * esbuild or Vite plugin (`weft/plugin`), for `load(app)` and `loadEmscripten(app)`.
 */
declare module 'weft:*' {
  const manifest: import('./index.js').PinnedManifest;
  export default manifest;
}
