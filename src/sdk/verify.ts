/**
 * Integrity that streams. The body goes to the engine's streaming compiler as it arrives, hashed on
 * the way, and its end is held back until every byte checked out: the compiler cannot finish, so
 * nothing is instantiated, before the bytes match the record. A mismatch errors the stream instead.
 */
import { sriOfDigest, toBase64 } from '../contract/address.js';
import { PIECE_SIZE } from '../contract/pieces.js';

export interface Progress {
  variant: string;
  loaded: number;
  /** From Content-Length, when the response has one (absent for compressed transfers). */
  total: number | undefined;
}

/** What the bytes must be: a record's SRI and, for a file of several pieces, its piece digests. */
export interface Expected {
  integrity: string;
  /** Base64 of the SHA-256 of each PIECE_SIZE piece in order; absent on a one-piece file or an older record. */
  pieces?: string;
  /** The file's length, from its record: with it, a small body is known small even when its transfer is compressed. */
  size?: number;
}

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

// Set by scripts/build.mjs for the browser bundle, which never has node:crypto.
declare const WEFT_BROWSER_BUNDLE: boolean | undefined;

type CreateHash = typeof import('node:crypto').createHash;

/** node:crypto's incremental SHA-256 where the runtime has it (Node, Deno, Bun), through no import a bundler would follow. */
function nodeHashes(): CreateHash | undefined {
  // An if with no else: the browser bundle (where the condition is false) drops the Node path whole.
  if (!(typeof WEFT_BROWSER_BUNDLE === 'boolean' && WEFT_BROWSER_BUNDLE)) {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    try {
      return (p?.getBuiltinModule?.('node:crypto') as typeof import('node:crypto') | undefined)?.createHash;
    } catch {}
  }
  return undefined;
}

const digest = async (bytes: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

/** What checks the bytes as they pass: given every chunk in order, then asked what is wrong (undefined: nothing). */
interface Check {
  update(chunk: Uint8Array): void;
  verdict(): Promise<string | undefined>;
}

const wrongSri = (expected: Expected, sri: string) =>
  sri === expected.integrity ? undefined : `expected ${expected.integrity}, got ${sri}`;
const wrongPieces = (expected: Expected, got: Uint8Array[]) => {
  const list = new Uint8Array(got.length * 32);
  for (const [k, d] of got.entries()) list.set(d, k * 32);
  return toBase64(list) === expected.pieces
    ? undefined
    : `the ${got.length} pieces received do not match the record's piece list`;
};

/**
 * node:crypto hashes views of the chunks themselves, copying nothing: each piece's digest when the
 * record lists pieces (the list is as trusted as the SRI, so every piece matching is the file
 * matching), else the whole file's.
 */
function nodeCheck(expected: Expected, hash: CreateHash): Check {
  if (expected.pieces === undefined) {
    const whole = hash('sha256');
    return {
      update: (chunk) => whole.update(chunk),
      verdict: async () => wrongSri(expected, sriOfDigest(whole.digest())),
    };
  }
  const got: Uint8Array[] = [];
  let piece = hash('sha256');
  let at = 0;
  return {
    update(chunk) {
      for (let i = 0; i < chunk.length; ) {
        const n = Math.min(PIECE_SIZE - at, chunk.length - i);
        piece.update(chunk.subarray(i, i + n));
        at += n;
        i += n;
        if (at === PIECE_SIZE) {
          got.push(piece.digest());
          piece = hash('sha256');
          at = 0;
        }
      }
    },
    verdict: async () => {
      if (at || !got.length) got.push(piece.digest());
      return wrongPieces(expected, got);
    },
  };
}

/**
 * Browsers have no incremental SHA-256. Each PIECE_SIZE piece is copied into one reused buffer and
 * given to `crypto.subtle.digest` (which copies it at the call), so the digests are done with the
 * last byte, not after it. A new buffer per piece, or per chunk, cost 15 to 25 % more time to
 * instance in Chromium (its allocations compete with the compiler); the reused one is within the
 * noise of passing the body through. A file without pieces (one piece, or an older record) is
 * collected and digested whole at its end.
 */
function webCheck(expected: Expected): Check {
  const piece = new Uint8Array(PIECE_SIZE);
  const digests: Promise<Uint8Array>[] = [];
  const kept: Uint8Array[] | undefined = expected.pieces === undefined ? [] : undefined;
  let at = 0;
  return {
    update(chunk) {
      kept?.push(chunk);
      for (let i = 0; i < chunk.length; ) {
        const n = Math.min(PIECE_SIZE - at, chunk.length - i);
        piece.set(chunk.subarray(i, i + n), at);
        at += n;
        i += n;
        if (at === PIECE_SIZE) {
          digests.push(digest(piece));
          at = 0;
        }
      }
    },
    async verdict() {
      if (at || !digests.length) digests.push(digest(piece.subarray(0, at)));
      const got = await Promise.all(digests);
      if (!kept) return wrongPieces(expected, got);
      const whole =
        got.length === 1
          ? got[0]!
          : await digest(new Uint8Array(await new Blob(kept as Uint8Array<ArrayBuffer>[]).arrayBuffer()));
      return wrongSri(expected, sriOfDigest(whole));
    },
  };
}

/**
 * `body`, unchanged, ending only once its bytes match `expected` (else erroring with an
 * IntegrityError). Its shape was chosen by measurement (bench/load-sizes.ts, 30 MB builds, time to
 * instance against `instantiateStreaming(fetch(url))`, nothing hashed):
 * - In browsers, a `TransformStream` (`pipeThrough`): 1.02× against 1.13× for a pulled
 *   `ReadableStream` in Chromium.
 * - Where node:crypto is, a pulled `ReadableStream`, one chunk per pull: Node 20's streams make a
 *   `pipeThrough` cost about 60 µs for each of a 30 MB body's 2,100 chunks (1.15× with nothing
 *   hashed), a pulled stream 0.88× with nothing hashed and 0.96 to 1.04× hashing with node:crypto
 *   (bench/.exp/node.ts, not committed, 7 to 9 interleaved fresh processes). Chunks gathered into
 *   1 MiB ones before the compiler took longer.
 * Either gives the event loop a turn every TURN_MS (below).
 */
export function verifying(
  body: ReadableStream<Uint8Array>,
  expected: Expected,
  onChunk?: (loaded: number) => void,
): { stream: ReadableStream<Uint8Array>; failure: () => IntegrityError | undefined } {
  // The define's test inline, so that the browser bundle drops nodeCheck and pulled whole.
  const hash = typeof WEFT_BROWSER_BUNDLE === 'boolean' && WEFT_BROWSER_BUNDLE ? undefined : nodeHashes();
  const check = hash ? nodeCheck(expected, hash) : webCheck(expected);
  let loaded = 0;
  let failed: IntegrityError | undefined;
  const turn = taking(TURN_MS);
  const pass = (chunk: Uint8Array) => {
    check.update(chunk);
    loaded += chunk.length;
    onChunk?.(loaded);
  };
  const end = async () => {
    const wrong = await check.verdict();
    if (wrong === undefined) return;
    failed = new IntegrityError(`integrity mismatch: ${wrong}`);
    throw failed;
  };
  const stream = hash
    ? pulled(body, pass, end, turn)
    : body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            pass(chunk);
            controller.enqueue(chunk);
            return turn();
          },
          flush: end,
        }),
      );
  return { stream, failure: () => failed };
}

/**
 * How long a body may hold the thread before it lets other work run. A body already buffered (a
 * fast network, a cache) reaches the compiler as one unbroken chain of promise reactions, which no
 * task interrupts: a page's own work waited for the last byte. Measured on onnxruntime-web's 14 MB
 * threaded build through loadEmscripten (bench/emscripten-libs.ts; bench/.exp/emlib.ts, not
 * committed, which marks each step in the page): in Chromium its glue was imported and its 3
 * pthread workers made only as the compile ended (840 to 1,320 ms after the call), and the module
 * was ready 167 to 294 ms after that; with a turn every 8 ms the workers were made at 238 to 817 ms,
 * and it was ready 40 to 96 ms after the compile. Time to a ready ORT, cached manifest, 7
 * interleaved samples with and without the turns: Chromium 1,214 → 1,110 ms, Node 20 753 → 703 ms.
 * `load()` at 30 MB was within the noise either way, with and without, against
 * `instantiateStreaming(fetch(url))` (bench/.exp, interleaved): Chromium, code 1.296× and 1.292× (9
 * samples); Node 20, code 1.21× and 1.16× (9), then 1.01× and 1.04× (13), data 0.98× and 1.00× (9).
 * 8 ms is half a frame, not a tuned figure.
 */
const TURN_MS = 8;

/** A function that, once `ms` have passed since its last turn, gives the event loop one (else undefined). */
function taking(ms: number): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < ms) return undefined;
    return nextTask().then(() => {
      last = performance.now();
    });
  };
}

/** Resolves from a new task, behind those already queued: setImmediate (Node), else a MessageChannel's message, else a timer. */
function nextTask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((resolve) => {
    if (g.setImmediate) g.setImmediate(resolve);
    else if (typeof MessageChannel === 'function') {
      const c = new MessageChannel();
      c.port1.onmessage = () => {
        c.port1.close();
        resolve();
      };
      c.port2.postMessage(undefined);
    } else setTimeout(resolve, 0);
  });
}

/** `body` read one chunk per pull, each given to `pass` on its way; `end` runs before the stream closes (it errors it by throwing). */
function pulled(
  body: ReadableStream<Uint8Array>,
  pass: (chunk: Uint8Array) => void,
  end: () => Promise<void>,
  turn: () => Promise<void> | undefined,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        await end();
        controller.close();
        return;
      }
      pass(value);
      controller.enqueue(value);
      await turn();
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** The body's length from its Content-Length, when that is the length of the bytes (not of an encoding). */
export function bodyLength(res: Response): number | undefined {
  const length = Number(res.headers.get('Content-Length'));
  // NaN (no header) is not > 0; an encoded body's length is not that of the bytes.
  return length > 0 && !res.headers.get('Content-Encoding') ? length : undefined;
}

/**
 * Compiles `res`'s body as it streams, and instantiates it with `imports` when given, from verified
 * bytes only. `instantiateStreaming` rather than `compileStreaming` and then `instantiate`: the
 * latter took twice the time at 1 MB in Node 20 (240 ms against 120 ms, bench/load-sizes.ts).
 * A small body is read whole instead (see `SMALL_BODY`). A mismatch throws the IntegrityError,
 * whatever the engine made of the stream's error.
 */
export async function instantiateVerified(
  res: Response,
  expected: Expected,
  variant: string,
  imports: WebAssembly.Imports | undefined,
  report?: (p: Progress) => void,
): Promise<{ module: WebAssembly.Module; instance: WebAssembly.Instance | undefined }> {
  const total = bodyLength(res);
  if (!expected.pieces && (expected.size ?? total ?? Infinity) <= SMALL_BODY)
    return instantiateWhole(res, expected, variant, imports, report, total);
  const onChunk = report && ((loaded: number) => report({ variant, loaded, total }));
  const { stream, failure } = verifying(res.body ?? new Blob().stream(), expected, onChunk);
  // Our own response, so the engine streams whatever content type the server gave.
  const source = new Response(stream, { headers: { 'Content-Type': 'application/wasm' } });
  try {
    if (typeof WebAssembly.instantiateStreaming !== 'function') {
      const bytes = await source.arrayBuffer();
      if (!imports) return { module: await WebAssembly.compile(bytes), instance: undefined };
      return await WebAssembly.instantiate(bytes, imports);
    }
    if (!imports) return { module: await WebAssembly.compileStreaming(source), instance: undefined };
    return await WebAssembly.instantiateStreaming(source, imports);
  } catch (err) {
    throw failure() ?? err;
  }
}

/**
 * The length up to which a body is read whole, digested once and then compiled, rather than
 * streamed: below it the stream's fixed cost is more than the compile it overlaps. Known from the
 * record's size, else from an unencoded Content-Length (a lying one only picks the path: either
 * way the bytes are checked). One piece, so a file with `pieces` always streams. Measured against
 * `instantiateStreaming(fetch(url))` (bench/.exp-small, medians of 11 to 15 interleaved samples on
 * a loaded 2-core machine): streamed / read whole, 148 B: Chromium 1.51× / 1.17×, Node 20 0.86× /
 * 0.84×; 0.1 MB: Chromium 1.16× / 1.33×, then 1.18× / 1.16×, Node 1.47× / 1.36×; 1,042,698 B:
 * Chromium 1.81× / 1.38×, Node 1.31× / 1.00×. Node's CPU time, less noisy: 1.22× / 0.93× at 148 B,
 * 1.15× / 1.02× at 1,042,698 B. Not worse at the largest size, so no smaller threshold.
 */
export const SMALL_BODY = PIECE_SIZE;

async function instantiateWhole(
  res: Response,
  expected: Expected,
  variant: string,
  imports: WebAssembly.Imports | undefined,
  report: ((p: Progress) => void) | undefined,
  total: number | undefined,
): Promise<{ module: WebAssembly.Module; instance: WebAssembly.Instance | undefined }> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  report?.({ variant, loaded: bytes.length, total });
  const hash = nodeHashes();
  const sri = sriOfDigest(hash ? hash('sha256').update(bytes).digest() : await digest(bytes));
  if (sri !== expected.integrity)
    throw new IntegrityError(`integrity mismatch: expected ${expected.integrity}, got ${sri}`);
  // Where node:crypto is (Node 20), compiled at once: its asynchronous compile took 200 to 300 ms
  // more than the streaming one, whatever the size; the synchronous one no more than it.
  if (hash) {
    const module = new WebAssembly.Module(bytes);
    return { module, instance: imports && new WebAssembly.Instance(module, imports) };
  }
  if (!imports) return { module: await WebAssembly.compile(bytes), instance: undefined };
  return await WebAssembly.instantiate(bytes, imports);
}

/**
 * Whether an error of the wasm is the variant's fault (its download, integrity or compilation),
 * so that the next acceptable variant is worth trying, as load() does; a link or start-up error
 * of verified bytes is not.
 */
export function variantFault(err: unknown): boolean {
  return !(err instanceof WebAssembly.LinkError || err instanceof WebAssembly.RuntimeError);
}
