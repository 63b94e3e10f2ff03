/**
 * The wire answers of HTTP API v1, typed once: the server's routes build them and the SDK reads
 * them (type-only on both sides, so no code moves between client and server). They live here, in
 * the room both sides share, so neither src/server nor src/sdk imports the other.
 */
import type { Capability, Host, ThreadModel, VariantHost } from './caps.js';
import type { PolyfillName } from './polyfills.js';
import type { Rejection } from './select.js';

/**
 * `pieces`, beside an `integrity`: the base64 (standard, padded) of the 32-byte SHA-256 of each
 * 1 MiB piece of the file in order, the last piece possibly shorter (src/contract/pieces.ts). The
 * server computes it from the bytes it stores. Present only for a file over 1 MiB (`size >
 * PIECE_SIZE`); absent, the file is checked by its `integrity` alone (a file of one piece, or one
 * published before piece hashes existed: a republish adds them).
 */
export type Pieces = string;

/** A variant as `GET /v1/modules/:name` describes it. */
export interface RemoteVariant {
  name: string;
  model: ThreadModel;
  requires: Capability[];
  size: number;
  polyfills: PolyfillName[];
  url: string;
  integrity: string;
  /** Piece hashes of the wasm, for one over 1 MiB: see {@link Pieces}. */
  pieces?: Pieces;
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
    /** Piece hashes of this file, for one over 1 MiB: see {@link Pieces}. */
    pieces?: Pieces;
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
  /** Piece hashes of the wasm, for one over 1 MiB: see {@link Pieces}. */
  pieces?: Pieces;
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
