import { describe, expect, it } from 'vitest';
import { probe } from '../../src/detect/index.js';

describe('the probe inside workerd', () => {
  it('identifies workerd and grants no threads and no workers (no Worker API there)', async () => {
    const profile = await probe();
    expect(profile.host).toBe('workerd');
    for (const cap of ['threads', 'workers', 'wasi-threads', 'nested-workers', 'set-threads']) {
      expect(profile.caps).not.toContain(cap);
    }
  });

  it('still reports what validates there, e.g. shared-memory and SIMD', async () => {
    const profile = await probe();
    expect(profile.caps).toContain('shared-memory');
    expect(profile.caps).toContain('simd');
  });

  it('answers a deep probe without hanging, and memoises per realm', async () => {
    const deep = await probe({ deep: true });
    expect(deep.caps).not.toContain('nested-workers');
    expect(await probe()).toBe(await probe());
  });
});
