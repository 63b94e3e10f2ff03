/**
 * The stage of the big-library tests (weft/ffmpeg, weft/onnxruntime): a real published build
 * copied into a build folder and published with the CLI into a fresh store, weft serving it, and a
 * page server on another origin serving the library's own files and weft's browser bundle.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { weftHandler } from '../../src/node/handler.js';
import { type RunningServer, startServer } from '../../src/node/serve.js';
import { fsStore } from '../../src/registry/stores/fs.js';
import { ISOLATION_HEADERS, type Page, type PageServer, startPageServer } from './pages.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const DIST = new URL('../../dist/', import.meta.url).pathname;

export interface LibStage {
  weft: RunningServer;
  /** The store weft serves (a same-origin site may mount weft over it too). */
  store: string;
  pages: PageServer;
  /** What `weft publish` printed. */
  printed: string;
  close(): Promise<void>;
}

/** `build`: subfolder (or '' for the folder itself) → files to copy into it. */
export async function libStage(options: {
  module: string;
  build: Record<string, string[]>;
  publishArgs?: string[];
  /** The page server's pages, given weft's origin. */
  pages: (server: string) => Record<string, Page>;
}): Promise<LibStage> {
  const dir = mkdtempSync(join(tmpdir(), `weft-lib-${options.module}-`));
  const folder = join(dir, options.module);
  for (const [sub, files] of Object.entries(options.build)) {
    mkdirSync(join(folder, sub), { recursive: true });
    for (const file of files) copyFileSync(file, join(folder, sub, basename(file)));
  }
  const store = join(dir, 'store');
  const { stdout } = await run(process.execPath, [
    CLI,
    'publish',
    folder,
    '--module',
    options.module,
    '--store',
    store,
    ...(options.publishArgs ?? []),
  ]);
  const weft = await startServer({ store: fsStore({ dir: store }), port: 0 });
  const pages = await startPageServer(options.pages(weft.url));
  return {
    weft,
    pages,
    store,
    printed: stdout,
    close: async () => {
      await pages.close();
      await weft.close();
      rmSync(dir, { recursive: true, force: true }); // tens of MB per stage: the builds and the store
    },
  };
}

/**
 * A site serving `pages` as startPageServer does (`/isolated/...` with COOP/COEP, `/plain/...`
 * without) with weft mounted at `/wasm` on the same origin, over `store`.
 */
export async function sameOriginSite(store: string, pages: (server: string) => Record<string, Page>) {
  const weft = weftHandler({ mount: '/wasm', storeDir: store });
  let served: Record<string, Page> = {};
  const server = createServer((req, res) =>
    weft(req, res, () => {
      const match = /^\/(isolated|plain)(\/[^?]*)/.exec(req.url ?? '');
      const page = match ? served[match[2]!] : undefined;
      if (!match || !page) return void res.writeHead(404).end();
      const isolation = match[1] === 'isolated' ? ISOLATION_HEADERS : {};
      res
        .writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store', ...isolation })
        .end(page.body);
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  served = pages(`${origin}/wasm`);
  return {
    origin,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript' };

/** Every script of a folder (recursively) as pages under `prefix`, for the page server. */
export function scriptPages(folder: string, prefix: string): Record<string, Page> {
  const pages: Record<string, Page> = {};
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) Object.assign(pages, scriptPages(path, `${prefix}/${name}`));
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type) pages[`${prefix}/${name}`] = { type, body: readFileSync(path) };
  }
  return pages;
}

/** One of weft's built browser bundles (dist/browser/<name>.js), as a page. */
export const weftBundle = (name: string): Page => ({
  type: 'text/javascript',
  body: readFileSync(join(DIST, 'browser', `${name}.js`)),
});
