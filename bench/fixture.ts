/**
 * The bench's ~100 KB variant: a valid single-threaded module, nearly all one data segment of
 * 16-symbol noise (it compresses about as well as real code), from the project's wasm builder.
 */
import { dataModule } from '../src/inspect/wasm-builder.js';

/** A module of about `size` bytes whose export `size()` returns the data segment's length. */
export const bigWasm = (size = 100 * 1024): Uint8Array => dataModule(size, size - 64, 'size');
