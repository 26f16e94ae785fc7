import { Buffer } from 'node:buffer';
import { Duplex } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { inOneWrite } from '../common/write-batch.js';
import { PushSocket, type SocketContext } from './push-socket.js';

/** A socket as `ws`'s server constructs one, before any connection is set on it. */
const socket = () =>
  new (
    PushSocket as unknown as new (
      address: null,
      protocols: undefined,
      options: object,
    ) => PushSocket
  )(null, undefined, { autoPong: false });

/** The preset table of listeners must behave as EventEmitter's own, for these events and others. */
describe('PushSocket listeners', () => {
  it.each(['error', 'message', 'ping', 'close', 'custom'])(
    'calls, counts and forgets "%s" listeners as an EventEmitter does',
    (event) => {
      const target = socket();
      const every = vi.fn();
      const first = vi.fn();
      expect(target.listenerCount(event)).toBe(0);
      target.on(event, every);
      target.once(event, first);
      expect(target.listenerCount(event)).toBe(2);

      expect(target.emit(event, 1)).toBe(true);
      expect(target.emit(event, 2)).toBe(true);
      expect(every.mock.calls).toEqual([[1], [2]]);
      expect(first.mock.calls).toEqual([[1]]);

      target.off(event, every);
      expect(target.listenerCount(event)).toBe(0);
    },
  );

  it('throws an error that nobody listens for, as an EventEmitter does', () => {
    const failure = new Error('no listener');
    expect(() => socket().emit('error', failure)).toThrow(failure);
  });
});

/** Frames a server writes, as [opcode, payload] (payloads under 126 bytes). */
function frames(bytes: Buffer): [number, string][] {
  const found: [number, string][] = [];
  for (let at = 0; at < bytes.length; at += 2 + bytes[at + 1]) {
    const payload = bytes.subarray(at + 2, at + 2 + bytes[at + 1]);
    found.push([bytes[at] & 0x0f, payload.toString()]);
  }
  return found;
}

const TEXT = 0x1;
const CLOSE = 0x8;

interface WsInternals {
  setSocket(socket: Duplex, head: Buffer, options: object): void;
}

describe('PushSocket pushes', () => {
  /** An open socket on an in-memory connection that records each write it is given. */
  function openSocket() {
    const writes: Buffer[] = [];
    const tcp = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk);
        done();
      },
    });
    const target = socket();
    // What `ws`'s server does with an upgraded connection (not in its typings).
    (target as unknown as WsInternals).setSocket(tcp, Buffer.alloc(0), {
      maxPayload: 1024,
    });
    target.tcp = tcp;
    target.context = {
      registry: { remove() {} },
      config: { maxBufferedBytes: 1 << 20 },
    } as unknown as SocketContext;
    return { socket: target, writes };
  }

  it('writes each push at once outside a batch', () => {
    const { socket, writes } = openSocket();
    socket.push('1');
    socket.push('2');
    expect(writes.map(frames)).toEqual([[[TEXT, '1']], [[TEXT, '2']]]);
  });

  it("writes a batch's pushes to one connection in one write when it ends, a single one as it is", () => {
    const [a, b] = [openSocket(), openSocket()];
    inOneWrite(() => {
      a.socket.push('1');
      b.socket.push('x');
      a.socket.push('2');
      a.socket.push('3');
      expect([a.writes, b.writes]).toEqual([[], []]);
    });
    expect(a.writes.map(frames)).toEqual([
      [
        [TEXT, '1'],
        [TEXT, '2'],
        [TEXT, '3'],
      ],
    ]);
    expect(b.writes.map(frames)).toEqual([[[TEXT, 'x']]]);
  });

  it('sends what a batch pushed before a close ahead of the close frame, and nothing after it', () => {
    const { socket, writes } = openSocket();
    inOneWrite(() => {
      socket.push('1');
      socket.push('2');
      socket.close(1000, 'bye');
      socket.push('3');
    });
    expect(frames(Buffer.concat(writes)).map(([opcode]) => opcode)).toEqual([
      TEXT,
      TEXT,
      CLOSE,
    ]);
  });

  it('drops what a batch held for a connection terminated while it ran, and writes nothing', () => {
    const { socket, writes } = openSocket();
    inOneWrite(() => {
      socket.push('1');
      socket.terminate();
    });
    expect(writes).toEqual([]);
    expect(socket.held).toBeUndefined();
  });
});
