import { Buffer } from 'node:buffer';

/**
 * A WebSocket text frame (RFC 6455, section 5.2) in one buffer: final, unmasked (server to
 * client), no extension. One buffer makes one `write` per recipient; `ws` writes a header and a
 * payload (a `writev` of two). The last frame is kept, so a message sent to many connections is
 * encoded once, and the same buffer is written to all of them.
 */
export function textFrame(text: string): Buffer {
  if (text !== last.text) {
    last.text = text;
    last.frame = encode(text);
  }
  return last.frame;
}

const last: { text: string | undefined; frame: Buffer } = {
  text: undefined,
  frame: Buffer.alloc(0),
};

const FIN_TEXT = 0x81;

function encode(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_TEXT;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, header);
  return frame;
}
