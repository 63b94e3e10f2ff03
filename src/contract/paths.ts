/**
 * The paths of HTTP API v1 (docs/contract.md), one home: the route patterns the server registers
 * (ROUTES) and the builders clients make URLs with (the SDK, the loaders, the CLI). Pure and tiny:
 * the SDK's browser bundle imports the builders it uses.
 */

/** The polyfills a build needs, as one script (`?need=a,b`). */
export const POLYFILLS_PATH = '/v1/polyfills.js';

/** Which of a build's files the server lacks (the upload protocol's first question). */
export const MISSING_PATH = '/v1/uploads/missing';
/** One garbage collection. */
export const GC_PATH = '/v1/gc';

/** Every route pattern of HTTP API v1, as Hono registers it (no builder above reads it: the SDK's bundle leaves it out). */
export const ROUTES = {
  modules: '/v1/modules',
  module: '/v1/modules/:name',
  resolve: '/v1/modules/:name/resolve',
  wasm: '/v1/modules/:name/wasm',
  variant: '/v1/modules/:name/variants/:variant',
  versions: '/v1/modules/:name/versions',
  version: '/v1/modules/:name/versions/:version',
  current: '/v1/modules/:name/current',
  commit: '/v1/modules/:name/commit',
  blob: '/v1/blobs/:file',
  bundleFile: '/v1/bundles/:id/*',
  missing: MISSING_PATH,
  file: '/v1/files/:hash',
  gc: GC_PATH,
  stats: '/v1/stats',
  script: (name: string) => `/v1/${name}`,
  chunk: '/v1/chunks/:file',
  polyfills: POLYFILLS_PATH,
  all: '/v1/*',
} as const;

/** A module's path, pinned to `version` when one is given: `/v1/modules/app@1.2.0`. */
export const modulePath = (name: string, version?: string): string =>
  `/v1/modules/${encodeURIComponent(name)}${version === undefined ? '' : `@${encodeURIComponent(version)}`}`;

/** A module's versions, one of them, its current version, its commit (all under {@link modulePath}). */
export const versionsPath = (name: string): string => `${modulePath(name)}/versions`;
export const versionPath = (name: string, version: string): string =>
  `${versionsPath(name)}/${encodeURIComponent(version)}`;
export const currentPath = (name: string): string => `${modulePath(name)}/current`;
export const commitPath = (name: string): string => `${modulePath(name)}/commit`;

/** A blob by its content address: `/v1/blobs/sha256-<hex>.wasm`. */
export const blobPath = (address: string): string => `/v1/blobs/${address}.wasm`;
/** What a bundle's file paths are relative to: `/v1/bundles/<id>/`. */
export const bundleBase = (id: string): string => `/v1/bundles/${id}/`;
/** An upload of one file by its content address. */
export const filePath = (address: string): string => `/v1/files/${address}`;
