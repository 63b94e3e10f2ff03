// Writes src/detect/probe-bytes.ts from src/detect/probes/sources.ts: the probe modules as base64
// without the 8-byte header (the probe adds it back), so the browser bundle carries no encoder.
// Usage: npm run gen:probes   (tests fail when the checked-in file is stale)
import { writeFileSync } from 'node:fs';
import { renderProbeBytes } from '../src/detect/probes/render.js';

const out = new URL('../src/detect/probe-bytes.ts', import.meta.url);
writeFileSync(out, renderProbeBytes());
console.log(`wrote ${out.pathname}`);
