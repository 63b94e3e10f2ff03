import { describe, expect, it } from 'vitest';
import { checkKey } from '../registry/store.js';
import { encodeVersionKey, parseModuleRef, VERSION } from './names.js';

describe('names', () => {
  it('encodes a version as a key segment: kept, escaped, never two versions on one key', () => {
    expect(encodeVersionKey('1.0.0+1')).toBe('1.0.0_2b1');
    expect(encodeVersionKey('RC')).toBe('_52_43');
    expect(encodeVersionKey('rc')).toBe('rc');
    const all = ['1.0.0+1', '1.0.0_2b1', '1.0.0-RC', '1.0.0-rc', 'A', 'a', '+', '-', '.'];
    const keys = all.filter((v) => VERSION.test(v)).map(encodeVersionKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(checkKey(`versions/app/v${key}.json`)).toBeTruthy();
    expect(checkKey(`versions/app/v${encodeVersionKey('Z'.repeat(64))}.json`)).toBeTruthy();
  });

  it('parses a pinned reference, refusing either part that breaks its rule', () => {
    expect(parseModuleRef('app')).toEqual({ name: 'app' });
    expect(parseModuleRef('app@1.2.0+3')).toEqual({ name: 'app', version: '1.2.0+3' });
    for (const bad of ['App', 'app@', 'app@a b', '@1.0.0', 'app@1@2', `app@${'1'.repeat(65)}`])
      expect(parseModuleRef(bad)).toBeNull();
  });
});
