import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { PushConfig } from '../config/push-config.js';

interface Waiter {
  expected: number;
  acked: number;
  readonly done: (acked: number) => void;
}

/**
 * Sends waiting for browsers to acknowledge a push (`{"type":"ack","position":N}`), by uid and
 * position. A wait ends when as many connections as expected have acknowledged, or when its time
 * is up, with the count so far.
 */
@Injectable()
export class AckTracker implements BeforeApplicationShutdown {
  private readonly waiting = new Map<string, Map<number, Waiter>>();

  constructor(private readonly config: PushConfig) {}

  /**
   * Resolves to how many connections acknowledged the push, once `expected` have, or after
   * `timeoutMs` (default `PUSH_ACK_TIMEOUT_MS`).
   */
  wait(
    uid: string,
    position: number,
    expected: number,
    timeoutMs = this.config.ackTimeoutMs,
  ): Promise<number> {
    if (expected <= 0) {
      return Promise.resolve(0);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        const positions = this.waiting.get(uid);
        positions?.delete(position);
        if (positions?.size === 0) {
          this.waiting.delete(uid);
        }
        resolve(waiter.acked);
      };
      const waiter: Waiter = { expected, acked: 0, done: finish };
      let positions = this.waiting.get(uid);
      if (positions === undefined) {
        positions = new Map();
        this.waiting.set(uid, positions);
      }
      positions.set(position, waiter);
    });
  }

  /** A connection of `uid` acknowledged the push at `position`; an ack nobody waits for is ignored. */
  ack(uid: string, position: number): void {
    const waiter = this.waiting.get(uid)?.get(position);
    if (waiter !== undefined && ++waiter.acked >= waiter.expected) {
      waiter.done(waiter.acked);
    }
  }

  /** Ends every wait with its count so far: the sends answer before the server stops. */
  beforeApplicationShutdown(): void {
    // A finished wait deletes itself: Map iteration goes on past deleted entries.
    for (const positions of this.waiting.values()) {
      for (const waiter of positions.values()) {
        waiter.done(waiter.acked);
      }
    }
  }
}
