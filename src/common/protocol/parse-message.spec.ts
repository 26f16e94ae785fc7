import { describe, expect, it } from 'vitest';
import { BadJsonError } from '../errors/bad-json.error.js';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { MAX_MESSAGE_DEPTH, parseMessage } from './parse-message.js';

const nestedArrays = (levels: number) =>
  '['.repeat(levels) + ']'.repeat(levels);

describe('parseMessage', () => {
  it('returns the object of a message with a type', () => {
    expect(parseMessage('{"type":"init","task_id":"u"}')).toEqual({
      type: 'init',
      task_id: 'u',
    });
  });

  it.each(['', '{', '{"type":"x",}', "{'type':'x'}", 'NaN'])(
    'rejects %j as bad JSON',
    (text) => {
      expect(() => parseMessage(text)).toThrow(BadJsonError);
    },
  );

  it.each(['[]', '"init"', '1', 'null', 'true'])(
    'rejects %s, which is not an object',
    (text) => {
      expect(() => parseMessage(text)).toThrow(
        'a message must be a JSON object',
      );
    },
  );

  it.each(['{}', '{"type":""}', '{"type":1}', '{"type":null}'])(
    'rejects %s, which has no usable type',
    (text) => {
      expect(() => parseMessage(text)).toThrow(
        '"type" must be a non-empty string',
      );
    },
  );

  it(`accepts ${MAX_MESSAGE_DEPTH} levels of nesting and refuses more`, () => {
    // The message object itself is the first level.
    const at = (levels: number) =>
      `{"type":"x","data":${nestedArrays(levels - 1)}}`;
    expect(() => parseMessage(at(MAX_MESSAGE_DEPTH))).not.toThrow();
    expect(() => parseMessage(at(MAX_MESSAGE_DEPTH + 1))).toThrow(
      InvalidMessageError,
    );
    expect(() => parseMessage(at(50_000))).toThrow(InvalidMessageError);
  });

  it.each([
    '{"type":"x","__proto__":{"polluted":true}}',
    '{"type":"x","data":[{"a":{"__proto__":{}}}]}',
  ])('refuses a __proto__ key at any depth: %s', (text) => {
    expect(() => parseMessage(text)).toThrow(
      'may not contain a "__proto__" key',
    );
  });

  it('allows keys that merely look dangerous', () => {
    expect(() =>
      parseMessage('{"type":"x","constructor":{"prototype":1},"proto":2}'),
    ).not.toThrow();
  });
});
