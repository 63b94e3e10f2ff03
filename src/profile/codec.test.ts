import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, HOSTS } from './caps.js';
import { decodeToken, encodeToken, formatCapsList, isToken, ProfileError, parseCapsList } from './codec.js';

const profiles = fc.record({
  host: fc.constantFrom(...HOSTS),
  caps: fc.subarray([...CAPABILITIES]),
});

describe('profile wire forms', () => {
  it('round-trips every subset of capabilities through the token, exactly', () => {
    fc.assert(
      fc.property(profiles, (p) => {
        const token = encodeToken(p);
        expect(decodeToken(token)).toEqual({ value: { host: p.host, caps: p.caps }, unknown: [] });
        expect(encodeToken(decodeToken(token).value)).toBe(token);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every subset through the readable list, in any order and with duplicates', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...CAPABILITIES]), fc.nat(), (shuffled, dupes) => {
        const caps = CAPABILITIES.filter((c) => shuffled.includes(c));
        const written = [...shuffled, ...shuffled.slice(0, dupes % (shuffled.length + 1))];
        expect(parseCapsList(written.join(',')).value).toEqual(caps);
        expect(parseCapsList(formatCapsList(caps)).value).toEqual(caps);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps tokens short and URL-safe: the whole vocabulary fits in a dozen characters', () => {
    const token = encodeToken({ host: 'browser', caps: [...CAPABILITIES] });
    expect(token).toMatch(/^[A-Za-z0-9_-]{2,12}$/);
    expect(encodeToken({ host: 'node', caps: [] })).toBe('1C');
  });

  it('reports well-formed names it does not know instead of failing (newer clients, older servers)', () => {
    expect(parseCapsList('threads,set-future-thing,simd')).toEqual({
      value: ['threads', 'simd'],
      unknown: ['set-future-thing'],
    });
    // A bit past today's registry, as a newer client would send.
    const bit = CAPABILITIES.length;
    const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const token = `1C${'A'.repeat(Math.floor(bit / 6))}${digits[1 << (bit % 6)]}`;
    expect(decodeToken(token)).toEqual({ value: { host: 'node', caps: [] }, unknown: [`bit-${bit}`] });
  });

  it.each([
    ['an upper-case name', 'Threads'],
    ['a name with spaces inside', 'thr eads'],
    ['markup', '<script>'],
    ['an empty item', 'threads,,simd'],
    ['a very long list', 'a,'.repeat(2000)],
  ])('rejects %s in the readable list with a message that does not echo it', (_what, input) => {
    expect(() => parseCapsList(input)).toThrow(ProfileError);
    try {
      parseCapsList(input);
    } catch (err) {
      expect((err as Error).message).not.toContain(input.slice(0, 8));
    }
  });

  it.each([
    ['a wrong version', '2Cx'],
    ['no host', '1'],
    ['a non-base64url character', '1C*'],
    ['an unknown host index', '1_'],
    ['a trailing zero digit (not canonical)', '1CBA'],
    ['an overlong token', `1C${'B'.repeat(80)}`],
  ])('rejects a token with %s', (_what, token) => {
    expect(() => decodeToken(token)).toThrow(ProfileError);
  });

  it('tells a token from a readable list by its first character', () => {
    expect(isToken(encodeToken({ host: 'browser', caps: ['threads'] }))).toBe(true);
    expect(isToken('threads,simd')).toBe(false);
    expect(parseCapsList('').value).toEqual([]);
  });
});
