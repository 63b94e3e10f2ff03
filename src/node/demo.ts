import { join } from 'node:path';
import type { Encoders } from '../registry/copies.js';
import { ensureMigrated } from '../registry/migrate.js';
import { publishSet } from '../registry/publish.js';
import { MODULES_PREFIX } from '../registry/records.js';
import type { Store } from '../registry/store.js';
import { PACKAGE_ROOT } from './assets.js';
import { planFolder } from './description.js';

/**
 * Seeds an empty store with the bundled demo variants (so `weft serve` serves something on first
 * run): `weft publish fixtures/demo` in one call, its weft.json describing the four builds.
 */
export async function seedDemo(store: Store, encoders: Encoders, root = PACKAGE_ROOT): Promise<boolean> {
  await ensureMigrated(store);
  if ((await store.list(MODULES_PREFIX)).length) return false;
  const plan = planFolder(join(root, 'fixtures', 'demo'));
  await publishSet(store, { ...plan, version: plan.version ?? '1.0.0' }, encoders);
  return true;
}
