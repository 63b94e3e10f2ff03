import { describe, expect, it } from 'vitest';
import { createLru } from './lru.js';

describe('createLru', () => {
  it('evicts the least recently used entries to stay within its bound, never the one just set', () => {
    const lru = createLru<string>(10);
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    lru.get('a'); // now b is the least recently used
    lru.set('c', 'C', 4);
    expect([lru.peek('a'), lru.peek('b'), lru.peek('c')]).toEqual(['A', undefined, 'C']);
    lru.set('big', 'X', 50);
    expect([lru.peek('a'), lru.peek('c'), lru.peek('big')]).toEqual([undefined, undefined, 'X']);
  });

  it('counts a resized entry by its new size and forgets deleted ones', () => {
    const lru = createLru<string>(10);
    lru.set('a', 'A', 0);
    lru.set('b', 'B', 6);
    lru.set('a', 'A', 6); // a grows: b, now the least recent, goes
    expect([lru.peek('a'), lru.peek('b')]).toEqual(['A', undefined]);
    lru.delete('a');
    lru.set('c', 'C', 10);
    expect(lru.peek('c')).toBe('C');
  });

  it('peek leaves the order as it is', () => {
    const lru = createLru<string>(8);
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    lru.peek('a');
    lru.set('c', 'C', 4);
    expect([lru.peek('a'), lru.peek('b')]).toEqual([undefined, 'B']);
  });
});
