import { sriOfBytes } from '../contract/address.js';
import { LoadError, type RemoteBundle, type RemoteVariant } from './load.js';

/**
 * The chosen variant's bundle, refused unless its wasm is the very build that was verified: the
 * glue of one build never meets the wasm of another.
 */
export function bundleOf(name: string, variant: RemoteVariant): RemoteBundle {
  const bundle = variant.bundle;
  if (!bundle)
    throw new LoadError(name, variant.name, 'the variant was published without its glue (no bundle)', {
      stage: 'glue',
    });
  const wasm = bundle.files.filter((f) => f.role === 'wasm');
  if (wasm.length !== 1 || wasm[0]!.integrity !== variant.integrity)
    throw new LoadError(
      name,
      variant.name,
      `bundle ${bundle.id} holds another build's wasm (${wasm[0]?.integrity ?? 'none'}) than variant ${variant.name} (${variant.integrity}): refused`,
      { stage: 'glue' },
    );
  return bundle;
}

/**
 * One file of a variant's bundle (its glue, a worker script), fetched and checked against its
 * integrity before anything uses it: what a loader imports is exactly what was published.
 *
 * @example
 * const { module, variant } = await load('resvg', { server, instantiate: false });
 * const glue = await fetchBundleFile(variant.bundle, variant.bundle.entry);
 * const { initWasm } = await import(URL.createObjectURL(new Blob([glue], { type: 'text/javascript' })));
 * await initWasm(module); // wasm-bindgen: init({ module_or_path: module })
 */
export async function fetchBundleFile(
  bundle: RemoteBundle,
  path: string,
  doFetch: typeof fetch = fetch,
): Promise<Uint8Array> {
  const file = bundle.files.find((f) => f.path === path);
  if (!file) throw new Error(`the bundle has no file ${path}`);
  const res = await doFetch(bundle.base + path);
  if (!res.ok) {
    // Content-addressed: a bundle URL that 404s will never come back (a pinned manifest naming it is stale).
    const gone = res.status === 404 || res.status === 410;
    throw new Error(
      `HTTP ${res.status} for ${path}${gone ? ' (the server no longer has this bundle: a version removed, or its files collected)' : ''}`,
    );
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if ((await sriOfBytes(bytes)) !== file.integrity) throw new Error(`${path} failed its integrity check`);
  return bytes;
}
