/**
 * A pinned manifest: a module's `GET /v1/modules/:name` answer written down once (`weft manifest`,
 * or `weft/plugin` at build time) so that an app carries it in its own bundle and `load(pinned)`
 * chooses without asking the server anything. Every URL in it is content-addressed (a blob's
 * SHA-256, a bundle's id over its files), so it is pinned by construction: the bytes it names can
 * never change, only disappear (a blob collected, a version removed), and a load then fails clearly.
 */
import type { RemoteModule } from './wire.js';

/** The shape's version: a loader refuses a pinned manifest of a shape it does not know. */
export const PINNED_FORMAT = 1;

export interface PinnedManifest extends RemoteModule {
  /** Marks a pinned manifest, and its shape's version ({@link PINNED_FORMAT}). */
  weft: typeof PINNED_FORMAT;
  /** The server it was written from (its origin and mount, no trailing slash): where polyfills come from. */
  server: string;
}

/** Whether a value is a pinned manifest of this shape (what `load` checks before trusting one). */
export function isPinned(value: unknown): value is PinnedManifest {
  const v = value as Partial<PinnedManifest> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.weft === PINNED_FORMAT &&
    typeof v.name === 'string' &&
    typeof v.server === 'string' &&
    Array.isArray(v.variants)
  );
}
