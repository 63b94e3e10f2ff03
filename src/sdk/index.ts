/** weft's loader SDK: `load('demo', { server })` returns the best build this engine can run, instantiated. */
export { probe } from '../detect/index.js';
export type { Capability, Profile } from '../profile/caps.js';
export { threadModel } from '../profile/caps.js';
export { select } from '../profile/select.js';
export type { ResolveAnswer } from '../profile/wire.js';
export { fetchBundleFile } from './bundle.js';
export { explainThreads } from './explain.js';
export {
  LoadError,
  type LoadOptions,
  type LoadResult,
  load,
  type PinnedManifest,
  type RemoteBundle,
  type RemoteModule,
  type RemoteVariant,
} from './load.js';
export { IntegrityError, type Progress } from './verify.js';
