import { InspectError } from './error.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * A bounded cursor over the input. Every read checks the bound first, so a size or count taken
 * from hostile input can never read past its section, and vector counts are checked against the
 * bytes left before anything is allocated for them. Offsets in errors are absolute.
 */
export class Reader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    /** What this reader covers, for messages: "type section", "function body". */
    readonly what: string,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string, at: number = this.pos): never {
    throw new InspectError(what, at);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail(`unexpected end of ${this.what}`);
    return this.bytes[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail(`unexpected end of ${this.what}`);
    return this.bytes[this.pos]!;
  }

  skip(n: number, what: string): void {
    if (n > this.remaining) this.fail(`${what} runs past the end of the ${this.what}`);
    this.pos += n;
  }

  u32(): number {
    // Fast path: most indices and sizes fit in one byte.
    const b = this.pos < this.end ? this.bytes[this.pos]! : 0x80;
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    return this.leb(32, false);
  }

  s32(): number {
    return this.leb(32, true);
  }

  s33(): number {
    return this.leb(33, true);
  }

  /** Checks and skips a u64: the inspector needs its encoding, never its value. */
  u64(): void {
    this.leb(64, false);
  }

  /** Checks and skips an s64. */
  s64(): void {
    this.leb(64, true);
  }

  /**
   * LEB128 as the spec bounds it: at most ceil(bits / 7) bytes, and in the last byte the bits past
   * the integer's width must be zero (unsigned) or copies of the sign bit (signed). Exact up to
   * 33 bits, which is all the inspector reads values of.
   */
  private leb(bits: number, signed: boolean): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let left = bits; ; left -= 7) {
      if (left <= 0)
        this.fail(`integer representation too long (more than ${Math.ceil(bits / 7)} bytes)`, start);
      if (this.pos >= this.end) this.fail(`LEB128 integer runs past the end of the ${this.what}`, start);
      const b = this.bytes[this.pos++]!;
      if (left < 7) {
        const unused = signed ? (-1 << (left - 1)) & 0x7f : (0x7f << left) & 0x7f;
        const extra = b & unused;
        if (extra !== 0 && !(signed && extra === unused)) {
          this.fail(`integer too large: unused bits set in a ${signed ? 's' : 'u'}${bits} LEB128`, start);
        }
      }
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return signed && (b & 0x40) !== 0 ? result - scale : result;
    }
  }

  /**
   * A vector's element count, refused when it exceeds the bytes left (each element takes one at
   * least) or the given limit.
   */
  count(what: string, limit = Number.POSITIVE_INFINITY): number {
    const at = this.pos;
    const n = this.u32();
    if (n > this.remaining) this.fail(`${what} count ${n} exceeds the ${this.remaining} bytes left`, at);
    if (n > limit) this.fail(`${what} count ${n} is over the limit of ${limit}`, at);
    return n;
  }

  /** A length-prefixed UTF-8 name. */
  name(what: string): string {
    const at = this.pos;
    const n = this.u32();
    if (n > this.remaining) this.fail(`${what} length ${n} exceeds the ${this.remaining} bytes left`, at);
    const start = this.pos;
    this.pos += n;
    // Most names are short ASCII: build those directly, the decoder costs more than the name.
    if (n <= 64) {
      let text = '';
      for (let i = start; i < start + n; i++) {
        const b = this.bytes[i]!;
        if (b >= 0x80) return this.decode(start, n, what, at);
        text += String.fromCharCode(b);
      }
      return text;
    }
    return this.decode(start, n, what, at);
  }

  private decode(start: number, n: number, what: string, at: number): string {
    try {
      return UTF8.decode(this.bytes.subarray(start, start + n));
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at);
    }
  }

  /** A reader over the next `size` bytes (which this reader skips). */
  sub(size: number, what: string, sizeAt: number = this.pos): Reader {
    if (size > this.remaining)
      this.fail(`${what} size ${size} exceeds the ${this.remaining} bytes left`, sizeAt);
    const r = new Reader(this.bytes, this.pos, this.pos + size, what);
    this.pos += size;
    return r;
  }

  expectEnd(): void {
    if (this.pos !== this.end) this.fail(`${this.what} has ${this.end - this.pos} unread bytes at its end`);
  }
}
