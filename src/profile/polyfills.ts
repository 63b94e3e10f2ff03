/**
 * The polyfills a variant's glue can ask for (threading-models.md section 5), by name. The SDK
 * installs them and `/v1/polyfills.js?need=` serves them; the manifest records which a variant needs.
 */
export const POLYFILLS = [
  'thread-local-global',
  'thread-local-function',
  'thread-bound-data',
  'shared-global',
  'wait-queue',
] as const;

export type PolyfillName = (typeof POLYFILLS)[number];

export function isPolyfill(name: string): name is PolyfillName {
  return (POLYFILLS as readonly string[]).includes(name);
}
