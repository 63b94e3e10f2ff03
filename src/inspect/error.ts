/**
 * Malformed or unsupported input. The message says what went wrong and at which byte offset; it
 * never quotes the input, so it is safe to show to whoever uploaded the bytes.
 */
export class InspectError extends Error {
  /** Byte offset in the inspected input where the problem starts. */
  readonly offset: number;

  constructor(what: string, offset: number) {
    super(`${what} at offset ${offset} (0x${offset.toString(16)})`);
    this.name = 'InspectError';
    this.offset = offset;
  }
}

/** `0x1f`-style spelling for bytes and opcodes in messages. */
export function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
