import { describe, expect, it } from 'vitest';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { copyInto } from './dto-copy.js';

/** A class of its own per call: copies are made once per class. */
function dtoClass() {
  return class Dto {
    uid: string | undefined = undefined;
    exclude: string[] = [];
    'odd-name': unknown = undefined;
  };
}

const MESSAGE = JSON.parse(
  '{"type":"t","uid":"u","odd-name":1,"extra":{"a":[1]},"constructor":"x","toString":2}',
) as Record<string, unknown>;

/** What `copyInto(dtoClass(), MESSAGE)` holds. */
const COPIED = {
  uid: 'u',
  exclude: [],
  'odd-name': 1,
  type: 't',
  extra: { a: [1] },
  toString: 2,
};

describe(copyInto, () => {
  it('copies every field but constructor, declared or not, and keeps defaults', () => {
    const Dto = dtoClass();
    const dto = copyInto(Dto, MESSAGE);
    expect(dto).toBeInstanceOf(Dto);
    expect(dto.constructor).toBe(Dto);
    expect({ ...dto }).toEqual(COPIED);
    // One level deep: the same nested value.
    expect(dto.extra).toBe(MESSAGE.extra);
  });

  it('gives a new instance for each message', () => {
    const Dto = dtoClass();
    const first = copyInto(Dto, { uid: 'a' });
    const second = copyInto(Dto, { uid: 'b' });
    expect(first).not.toBe(second);
    expect([first.uid, second.uid, first.exclude === second.exclude]).toEqual([
      'a',
      'b',
      false,
    ]);
  });

  it.each([null, 'text', 3, [1]])('refuses %j: not a JSON object', (value) => {
    expect(() => copyInto(dtoClass(), value)).toThrow(
      new InvalidMessageError('expected a JSON object'),
    );
  });
});
