import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { textFrame } from './text-frame.js';

/** `ws`'s frame parser, which its types leave out. */
const { Receiver } = ws as unknown as {
  Receiver: new (
    options: object,
  ) => NodeJS.WritableStream & NodeJS.EventEmitter;
};

/** Decodes frames with `ws`'s own receiver (client side: it expects unmasked frames). */
function decode(frame: Buffer): Promise<{ data: string; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) =>
      resolve({ data: data.toString(), isBinary }),
    );
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

describe('textFrame', () => {
  it.each([
    ['empty', ''],
    ['short', '{"type":"ping"}'],
    ['125 bytes, the longest with a 2-byte header', 'x'.repeat(125)],
    ['126 bytes, the shortest with a 4-byte header', 'x'.repeat(126)],
    ['multi-byte characters, counted in bytes', 'é'.repeat(100)],
    ['65,535 bytes, the longest with a 4-byte header', 'x'.repeat(65_535)],
    ['65,536 bytes, with a 10-byte header', 'y'.repeat(65_536)],
  ])(
    'makes a frame that a WebSocket client reads back: %s',
    async (_, text) => {
      expect(await decode(textFrame(text))).toEqual({
        data: text,
        isBinary: false,
      });
    },
  );

  it('gives the same buffer for the same text in a row, a new one for another', () => {
    const first = textFrame('one');
    expect(textFrame('one')).toBe(first);
    expect(textFrame('two')).not.toBe(first);
    expect(textFrame('one')).not.toBe(first);
  });
});
