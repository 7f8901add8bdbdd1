import { describe, expect, it } from 'vitest';
import { NamedSlots } from './named-slots';

describe('NamedSlots', () => {
  it('keeps the unnamed slot and named entries apart, with one size and name list', () => {
    const t = new NamedSlots<number>();
    expect(t.size).toBe(0);
    expect(t.has('')).toBe(false);
    t.set('', 1);
    t.set('a', 2);
    expect([t.get(''), t.get('a'), t.get('b')]).toEqual([1, 2, undefined]);
    expect(t.size).toBe(2);
    expect(t.names()).toEqual(['', 'a']);
    t.set('', 3);
    expect(t.get('')).toBe(3);
    expect(t.delete('')).toBe(true);
    expect(t.delete('')).toBe(false);
    expect(t.has('')).toBe(false);
    expect(t.names()).toEqual(['a']);
  });

  it('lets callers delete while walking the names', () => {
    const t = new NamedSlots<number>();
    t.set('', 0);
    t.set('x', 1);
    t.set('y', 2);
    for (const n of t.names()) t.delete(n);
    expect(t.size).toBe(0);
  });
});
