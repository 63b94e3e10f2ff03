// The client probe (issue 3) lands here; for now this entry carries the shared vocabulary.
export { CAPABILITIES, type Capability, type Host, type Profile } from '../profile/caps.js';
