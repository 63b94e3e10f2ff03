/**
 * The first line of every self-contained browser bundle (dist/browser/*.js and its chunks, what
 * pages load from a weft server): V8's explicit compile hint (Chrome 136 and later; a plain comment
 * elsewhere). Nearly every function of these bundles runs on a page's first load() or probe(), and
 * V8 otherwise compiles each lazily, on the main thread, at its first call; with the hint it
 * compiles them with the script, off the main thread while the script streams in. Measured in
 * Chromium 156 (bench/.exp/eager.ts, not committed: a fresh context per sample, the bundle imported
 * 200 ms before the timer, 15 interleaved samples): a first load() of a 149 B build 33.4 → 27.6 ms
 * against 28.4 ms for `instantiateStreaming(fetch(url))`, a first probe() 18.8 → 16.2 ms; the
 * load's first request left 1.1 ms after the call instead of 2.4 to 3.5 ms. Cost: 29 bytes, 19 gzipped.
 * The library entries a user's bundler takes (dist/browser-lib) carry none: in their bundle the
 * comment would not be the first line, and the user decides for their own script.
 */
export const EAGER_COMPILE = '//# allFunctionsCalledOnLoad';
