/**
 * The opt-in deep checks (`probe({ deep: true })`): they start real workers. Loaded on demand, so
 * the probe bundle most pages fetch does not carry them (the browser build keeps this file in its
 * own chunk). Imports nothing the main probe uses, so no shared chunk is split off.
 */
import type { Host } from '../profile/caps.js';

type NodeWorker = new (src: string, opts: { eval: true }) => EvalWorker;
interface EvalWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
  on?(ev: 'message' | 'error', fn: (m: unknown) => void): void;
  onmessage?: ((e: { data: unknown }) => void) | null;
  onerror?: (() => void) | null;
}

/** The Node `Worker` constructor, found without a static import (this code also runs in browsers). */
function nodeWorker(): NodeWorker | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (proc?.getBuiltinModule?.('node:worker_threads') as { Worker?: NodeWorker } | undefined)?.Worker;
}

/** Starts a worker from source text: `eval` in Node, a Blob URL elsewhere. */
function startWorker(host: Host, source: string): EvalWorker {
  const NodeW = host === 'node' ? nodeWorker() : undefined;
  if (NodeW)
    return new NodeW(
      `const{parentPort:p}=require('node:worker_threads');const post=(m)=>p.postMessage(m);p.on('message',(m)=>onMsg(m));${source}`,
      { eval: true },
    );
  const url = URL.createObjectURL(
    new Blob([`const post=(m)=>postMessage(m);onmessage=(e)=>onMsg(e.data);${source}`], {
      type: 'text/javascript',
    }),
  );
  return new (globalThis as unknown as { Worker: new (u: string) => EvalWorker }).Worker(url);
}

/** Sends one message to a fresh worker and resolves with its first answer, or false after `ms`. */
function ask(host: Host, source: string, message: unknown, ms: number): Promise<unknown> {
  return new Promise((resolve) => {
    let worker: EvalWorker | undefined;
    const done = (value: unknown) => {
      clearTimeout(timer);
      worker?.terminate();
      resolve(value);
    };
    const timer = setTimeout(() => done(false), ms);
    try {
      worker = startWorker(host, source);
      if (worker.on) {
        worker.on('message', done);
        worker.on('error', () => done(false));
      } else {
        worker.onmessage = (e) => done(e.data);
        worker.onerror = () => done(false);
      }
      worker.postMessage(message);
    } catch {
      done(false);
    }
  });
}

/** Deep check: a worker writes to shared memory and notifies; the main thread sees the write. */
export async function roundTrip(host: Host, ms = 3000): Promise<boolean> {
  const cells = new Int32Array(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
  const answer = await ask(
    host,
    'function onMsg(a){Atomics.store(a,0,42);Atomics.notify(a,0);post(true)}',
    cells,
    ms,
  );
  return answer === true && Atomics.load(cells, 0) === 42;
}

/** Deep check: a worker can start a worker of its own and hear back from it. */
export async function nestedWorkers(host: Host, ms = 3000): Promise<boolean> {
  const inner =
    host === 'node'
      ? `const{Worker:W}=require('node:worker_threads');const w=new W("require('node:worker_threads').parentPort.postMessage(1)",{eval:true});w.on('message',()=>{w.terminate();post(true)});w.on('error',()=>post(false))`
      : `const w=new Worker(URL.createObjectURL(new Blob(['postMessage(1)'],{type:'text/javascript'})));w.onmessage=()=>{w.terminate();post(true)};w.onerror=()=>post(false)`;
  return (await ask(host, `function onMsg(){try{${inner}}catch{post(false)}}`, 0, ms)) === true;
}

/**
 * The deep answers, written over the shallow ones in `found`: `threads` kept only after a real
 * round trip, `nested-workers` where a worker can start a worker.
 */
export async function deepen(host: Host, found: Record<string, boolean>): Promise<void> {
  if (found.threads) found.threads = await roundTrip(host).catch(() => false);
  found['nested-workers'] = found.workers! && (await nestedWorkers(host).catch(() => false));
}
