// The loader SDK (issue 6) lands here; for now this entry carries the shared vocabulary.
export { type Capability, type Profile, threadModel } from '../profile/caps.js';
