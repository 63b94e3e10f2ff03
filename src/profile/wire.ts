/**
 * The wire answers of HTTP API v1, typed once: the server's routes build them and the SDK reads
 * them (type-only on both sides, so no code moves between client and server). They live here, in
 * the room both sides share, so neither src/server nor src/sdk imports the other.
 */
import type { Capability, Host, ThreadModel, VariantHost } from './caps.js';
import type { PolyfillName } from './polyfills.js';
import type { Rejection } from './select.js';

/** A variant as `GET /v1/modules/:name` describes it. */
export interface RemoteVariant {
  name: string;
  model: ThreadModel;
  requires: Capability[];
  size: number;
  polyfills: PolyfillName[];
  url: string;
  integrity: string;
  /** `optional`: the build also runs on one thread (see `LoadResult.threads`). */
  threads?: 'optional';
  /** The hosts it is declared for (never chosen on another); absent: every host. */
  hosts?: VariantHost[];
  /** The whole build (wasm, glue, workers), when it was published as one: see `weft/emscripten`. */
  bundle?: RemoteBundle;
}

/** A variant bundle as the server describes it: files under `base`, each with its SRI integrity. */
export interface RemoteBundle {
  id: string;
  /** URL prefix (ending in `/`) the files' paths are relative to. */
  base: string;
  /** The file a loader starts from (the glue). */
  entry: string;
  files: {
    path: string;
    role: 'wasm' | 'glue' | 'worker' | 'data' | 'boot';
    size: number;
    integrity: string;
  }[];
}

/** `GET /v1/modules/:name`: cache it and pass it back as `manifest` to load with zero extra round trips. */
export interface RemoteModule {
  name: string;
  version: string;
  fallback?: string;
  variants: RemoteVariant[];
}

/** `GET /v1/modules/:name/resolve`: the chosen variant for the request's profile, and why. */
export interface ResolveAnswer {
  module: string;
  version: string;
  variant: string;
  model: ThreadModel;
  url: string;
  integrity: string;
  size: number;
  requires: Capability[];
  polyfills: PolyfillName[];
  /** Whether the build may start threads on this profile. */
  threads: boolean;
  optionalThreads?: true;
  /** The hosts the chosen variant is declared for, when it is declared for some only. */
  hosts?: VariantHost[];
  bundle?: RemoteBundle;
  fallback: boolean;
  rejected: Rejection[];
  profile: {
    host: Host;
    caps: Capability[];
    model: ThreadModel;
    source: string;
    unknown: string[];
    canonical: string;
  };
}
