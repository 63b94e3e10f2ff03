import { PROBE_BYTES } from './probe-bytes.js';

/** One detector's answer; a detector that throws or rejects means absent. */
export async function safely(detector: () => boolean | Promise<boolean>): Promise<boolean> {
  try {
    return (await detector()) === true;
  } catch {
    return false;
  }
}

const HEADER = '\0asm\x01\0\0\0';

/** The bytes of a generated probe module (header restored). */
export function probeModule(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(HEADER + atob(base64), (c) => c.charCodeAt(0));
}

/** Present when the probe validates and its negative control, if it has one, does not. */
export function validates(cap: keyof typeof PROBE_BYTES): boolean {
  const [probe, control] = PROBE_BYTES[cap] as readonly [string, string?];
  return WebAssembly.validate(probeModule(probe)) && !(control && WebAssembly.validate(probeModule(control)));
}

/** Posts a value over a MessageChannel; throws DataCloneError where it cannot be shared. */
export function canPost(value: unknown): boolean {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(value);
    return true;
  } finally {
    port1.close();
    port2.close();
  }
}
