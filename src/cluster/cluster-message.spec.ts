import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  MessageKind,
} from './cluster-message.js';

describe('encodeMessage', () => {
  it('puts kind, origin and meta on the first line and the body after it, unescaped', () => {
    expect(
      encodeMessage(
        MessageKind.Group,
        'node-a',
        { groups: ['g'], index: 0 },
        '{"a":"b\\n"}',
      ),
    ).toBe('g node-a {"groups":["g"],"index":0}\n{"a":"b\\n"}');
  });

  it('leaves the meta empty when there is none', () => {
    expect(encodeMessage(MessageKind.Uid, 'n', undefined, 'hi')).toBe(
      'u n \nhi',
    );
  });
});

describe('decodeMessage', () => {
  it('reads back what encodeMessage wrote, newlines in the body included', () => {
    const body = 'line 1\nline 2 {"x":1}\n';
    expect(
      decodeMessage(
        encodeMessage(MessageKind.Clients, 'n1', { ids: ['n1.x-1'] }, body),
      ),
    ).toEqual({
      kind: MessageKind.Clients,
      origin: 'n1',
      meta: '{"ids":["n1.x-1"]}',
      body,
    });
    expect(
      decodeMessage(encodeMessage(MessageKind.Uid, 'n', undefined, '')),
    ).toEqual({
      kind: MessageKind.Uid,
      origin: 'n',
      meta: '',
      body: '',
    });
  });

  it.each([
    ['empty', ''],
    ['no newline', 'u n '],
    ['unknown kind', 'z n \nbody'],
    ['no space after the kind', 'un \nbody'],
    ['no origin separator before the newline', 'u n\nbody x'],
  ])('is undefined for text that is not a message (%s)', (_, text) => {
    expect(decodeMessage(text)).toBeUndefined();
  });
});
