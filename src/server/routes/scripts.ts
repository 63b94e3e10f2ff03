import type { Hono } from 'hono';
import { ROUTES } from '../../contract/paths.js';
import { isPolyfill } from '../../profile/polyfills.js';
import { ApiError } from '../errors.js';

/** The built client scripts the server hands out (the Node entry reads them from dist/browser). */
export interface Assets {
  'sdk.js'?: string;
  'probe.js'?: string;
  /** The `weft/emscripten` loader for browsers. */
  'emscripten.js'?: string;
  /** One prebuilt ESM bundle per sorted, comma-joined set of polyfill names. */
  polyfills?: Record<string, string>;
  /** Chunks the scripts import on demand (`chunks/deep-<hash>.js`: the probe's deep checks), by file name. */
  chunks?: Record<string, string>;
}

const SCRIPT_HEADERS = {
  'Content-Type': 'text/javascript; charset=utf-8',
  'Cache-Control': 'public, max-age=300, must-revalidate',
};

/** The script routes; a `source` function is called once, when a script is first asked for. */
export function scriptRoutes(app: Hono, source: Assets | Promise<Assets> | (() => Promise<Assets>)): void {
  let loaded: Assets | undefined;
  let ready: Promise<Assets> | undefined;
  const assets = async (): Promise<Assets> => {
    if (loaded) return loaded;
    // A source that fails (an unreadable folder) serves no scripts rather than failing each request.
    ready ??= Promise.resolve(typeof source === 'function' ? source() : source).catch(() => ({}));
    loaded = await ready;
    return loaded;
  };
  for (const name of ['sdk.js', 'probe.js', 'emscripten.js'] as const) {
    app.get(ROUTES.script(name), async (c) => {
      const body = (await assets())[name];
      if (body === undefined)
        throw new ApiError(404, 'this server was started without the built client scripts');
      return c.body(body, 200, SCRIPT_HEADERS);
    });
  }
  // Content-hashed names: a chunk never changes under its name.
  app.get(ROUTES.chunk, async (c) => {
    const { chunks = {} } = await assets();
    const body = Object.hasOwn(chunks, c.req.param('file')) ? chunks[c.req.param('file')] : undefined;
    if (body === undefined) throw new ApiError(404, 'no such chunk');
    return c.body(body, 200, { ...SCRIPT_HEADERS, 'Cache-Control': 'public, max-age=31536000, immutable' });
  });
  app.get(ROUTES.polyfills, async (c) => {
    const names = (c.req.query('need') ?? '').split(',').filter(Boolean);
    if (names.length > 16 || !names.every(isPolyfill))
      throw new ApiError(400, 'need= takes known polyfill names');
    const key = [...new Set(names)].sort().join(',');
    const body = key === '' ? 'export {};\n' : (await assets()).polyfills?.[key];
    if (body === undefined) throw new ApiError(404, 'this server was started without the polyfill bundles');
    return c.body(body, 200, SCRIPT_HEADERS);
  });
}
