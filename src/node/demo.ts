import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_KEY } from '../server/manifest.js';
import { type Encoders, publish } from '../server/publish.js';
import type { Store } from '../server/store.js';
import { PACKAGE_ROOT } from './assets.js';

interface DemoList {
  module: string;
  variants: { name: string; file: string }[];
}

/** Seeds an empty store with the bundled demo variants (so `weft serve` serves something on first run). */
export async function seedDemo(store: Store, encoders: Encoders, root = PACKAGE_ROOT): Promise<boolean> {
  if (await store.get(MANIFEST_KEY)) return false;
  const dir = join(root, 'fixtures', 'demo');
  const list = JSON.parse(readFileSync(join(dir, 'variants.json'), 'utf8')) as DemoList;
  // Publish least capable first: placement by thread model then keeps the list in preference order.
  for (const v of [...list.variants].reverse()) {
    await publish(
      store,
      { module: list.module, variant: v.name, bytes: readFileSync(join(dir, v.file)), version: '1.0.0' },
      encoders,
    );
  }
  return true;
}
