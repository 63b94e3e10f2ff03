// Writes src/detect/probe-bytes.ts from scripts/probes/sources.ts and the modules captured from the
// installed wasm-feature-detect (pinned exactly in package.json): the probe modules as hex without the
// 8-byte header (the probe adds it back), so the browser bundle carries no encoder.
// Usage: npm run gen:probes   (tests fail when the checked-in file is stale)
import { writeFileSync } from 'node:fs';
import { renderProbeBytes } from './probes/render.js';

const out = new URL('../src/detect/probe-bytes.ts', import.meta.url);
writeFileSync(out, renderProbeBytes());
console.log(`wrote ${out.pathname}`);
