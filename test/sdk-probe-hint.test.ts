import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probe } from '../src/detect/index.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { load, type RemoteModule } from '../src/sdk/index.js';

let server: RunningServer;
let manifest: RemoteModule;
beforeAll(async () => {
  server = await startServer({ port: 0, storeDir: mkdtempSync(join(tmpdir(), 'weft-hint-')) });
  manifest = (await (await fetch(`${server.url}/v1/modules/demo`)).json()) as RemoteModule;
});
afterAll(() => server.close());

it('with a description, load() probes only what its builds require (and the thread model), choosing as a full probe would', async () => {
  const required = new Set(manifest.variants.flatMap((v) => v.requires));
  const full = await probe({ fresh: true });
  const hinted = await load('demo', { server: server.url, manifest, instantiate: false });
  expect((hinted.profile as { partial?: true }).partial).toBe(true);
  // What the hint checked answers as the full probe does; what it left unchecked is not claimed.
  for (const cap of required) expect(hinted.profile.caps.includes(cap), cap).toBe(full.caps.includes(cap));
  expect(full.caps.filter((c) => !hinted.profile.caps.includes(c)).length).toBeGreaterThan(0);
  const negotiated = await load('demo', { server: server.url, instantiate: false });
  expect((negotiated.profile as { partial?: true }).partial).toBeUndefined();
  expect(hinted.variant.name).toBe(negotiated.variant.name);
});
