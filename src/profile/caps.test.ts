import { describe, expect, it } from 'vitest';
import { CAPABILITIES, CAPABILITY_GROUPS, FEATURES } from './caps.js';

describe('capability groups', () => {
  it('puts every capability of the vocabulary in exactly one group, by name, and features keep registry order', () => {
    const grouped = [...CAPABILITY_GROUPS.flatMap((g) => g.caps), ...FEATURES];
    expect([...grouped].sort()).toEqual([...CAPABILITIES].sort());
    expect(new Set(grouped).size).toBe(grouped.length);
    expect(FEATURES).toEqual(CAPABILITIES.filter((c) => FEATURES.includes(c)));
  });
});
