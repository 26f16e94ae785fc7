import { describe, expect, it, vi } from 'vitest';
import { PushSocket } from './push-socket.js';

/** The preset table of listeners must behave as EventEmitter's own, for these events and others. */
describe('PushSocket listeners', () => {
  /** A socket as `ws`'s server constructs one, before any connection is set on it. */
  const socket = () =>
    new (
      PushSocket as unknown as new (
        address: null,
        protocols: undefined,
        options: object,
      ) => PushSocket
    )(null, undefined, { autoPong: false });

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
