import type { Host } from '../profile/caps.js';

type Global = typeof globalThis & Record<string, unknown>;

/**
 * The host, identified by behaviour, never by version strings (Bun fakes `process.versions.v8`,
 * Deno and Bun both provide a Node-like `process`).
 */
export function detectHost(g: Global = globalThis as Global): Host {
  if (typeof g.Deno === 'object') return 'deno';
  if (typeof g.Bun === 'object') return 'bun';
  if (typeof g.WebSocketPair === 'function') return 'workerd';
  const proc = g.process as { versions?: { node?: unknown } } | undefined;
  if (typeof proc?.versions?.node === 'string' && typeof g.window === 'undefined') return 'node';
  if (typeof g.window === 'object' && typeof g.document === 'object') return 'browser';
  if (typeof g.WorkerGlobalScope === 'function' && g instanceof (g.WorkerGlobalScope as () => void))
    return 'worker';
  return 'unknown';
}
