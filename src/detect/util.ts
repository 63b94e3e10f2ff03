/** One detector's answer: truthy means present; a detector that throws means absent. */
export function check(detector: () => unknown): boolean {
  try {
    return !!detector();
  } catch {
    return false;
  }
}

/**
 * The bytes of a generated probe module: its hex after the 8-byte header (restored here). A plain
 * loop: on a realm's first probe the code runs cold, where a regular expression and a mapping
 * callback per byte cost milliseconds for all the modules.
 */
export function probeModule(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(8 + hex.length / 2);
  // `\0asm` and version 1; the three zero bytes after it are the array's own.
  bytes.set([0, 97, 115, 109, 1]);
  for (let i = 0; i < hex.length; i += 2) bytes[8 + i / 2] = +`0x${hex.slice(i, i + 2)}`;
  return bytes;
}

interface SyncWasm {
  Module: new (bytes: BufferSource, options?: object) => WebAssembly.Module;
  Instance: new (module: WebAssembly.Module, imports?: object) => WebAssembly.Instance;
}

/**
 * Synchronous compile of a generated module: tiny modules only, allowed on browser main threads.
 * workerd refuses it at run time (its types declare the constructors abstract): absent there.
 */
export const compile = (hex: string, options?: object): WebAssembly.Module =>
  new (WebAssembly as unknown as SyncWasm).Module(probeModule(hex), options);

/** Compiles and instantiates a generated module without imports. */
export const instantiate = (hex: string, options?: object): WebAssembly.Instance =>
  new (WebAssembly as unknown as SyncWasm).Instance(compile(hex, options), {});

/** Present when the probe validates and its negative control, if it has one, does not. */
export function validates(field: string): boolean {
  const [probe, control] = field.split(' ') as [string, string?];
  return WebAssembly.validate(probeModule(probe)) && !(control && WebAssembly.validate(probeModule(control)));
}

/**
 * Serializes a value as posting it to another agent does (the HTML structured clone, the check
 * `postMessage` makes); throws DataCloneError where it cannot be shared: a SharedArrayBuffer or
 * shared wasm object outside a cross-origin-isolated page. `structuredClone` needs no
 * MessageChannel, whose first use in Node loads its worker messaging (milliseconds).
 */
export const canPost = (value: unknown): boolean => !!structuredClone(value);
