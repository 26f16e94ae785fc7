import { describe, expect, it } from 'vitest';
import { mergeSession } from './merge-session.js';

describe('mergeSession', () => {
  it('adds new fields and replaces existing ones', () => {
    expect(mergeSession({ a: 1, b: 2 }, { b: 3, c: 4 })).toEqual({
      a: 1,
      b: 3,
      c: 4,
    });
  });

  it('merges objects level by level', () => {
    expect(
      mergeSession(
        { user: { name: 'Ann', address: { city: 'Oslo', zip: '0150' } } },
        { user: { address: { city: 'Bergen' }, age: 30 } },
      ),
    ).toEqual({
      user: { name: 'Ann', address: { city: 'Bergen', zip: '0150' }, age: 30 },
    });
  });

  it('replaces arrays and values of another kind whole', () => {
    expect(
      mergeSession(
        { roles: ['a', 'b'], tag: { x: 1 }, n: { y: 2 } },
        { roles: ['c'], tag: 'plain', n: null },
      ),
    ).toEqual({ roles: ['c'], tag: 'plain', n: null });
  });

  it('changes neither argument', () => {
    const base = { nested: { a: 1 } };
    const patch = { nested: { b: 2 } };
    mergeSession(base, patch);
    expect(base).toEqual({ nested: { a: 1 } });
    expect(patch).toEqual({ nested: { b: 2 } });
  });

  it('defines a __proto__ field as data instead of setting a prototype', () => {
    const patch = JSON.parse('{"__proto__":{"admin":true}}');
    const merged = mergeSession({}, patch);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as { admin?: boolean }).admin).toBeUndefined();
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
  });
});
