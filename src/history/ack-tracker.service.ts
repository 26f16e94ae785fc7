import { Injectable } from '@nestjs/common';
import { PushConfig } from '../config/push-config.js';

interface Waiter {
  /** The connections whose acknowledgement counts: those the push was written to. */
  readonly expected: Set<string>;
  /** How many acknowledgements end the wait. */
  readonly needed: number;
  readonly acked: Set<string>;
  readonly done: () => void;
}

/**
 * Sends waiting for browsers to acknowledge a push (`{"type":"ack","position":N}`), by uid and
 * position. Each connection the push was written to counts once; a wait ends when all of them
 * have acknowledged, or when its time is up, with the count so far.
 */
@Injectable()
export class AckTracker {
  private readonly waiting = new Map<string, Map<number, Waiter>>();
  private ended = false;

  constructor(private readonly config: PushConfig) {}

  /**
   * Resolves to how many connections acknowledged the push at `position`: those in `clientIds`
   * (it was written to them), or, when the push was kept for a uid without a connection (no
   * `clientIds`), the first connection it is written to later (see `expect`). Ends after
   * `timeoutMs` (default `PUSH_ACK_TIMEOUT_MS`) with the count so far.
   */
  wait(
    uid: string,
    position: number,
    clientIds: readonly string[] | undefined,
    timeoutMs = this.config.ackTimeoutMs,
  ): Promise<number> {
    if (this.ended || clientIds?.length === 0) {
      return Promise.resolve(0);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const positions = this.waiting.get(uid);
        positions?.delete(position);
        if (positions?.size === 0) {
          this.waiting.delete(uid);
        }
        resolve(waiter.acked.size);
      };
      const waiter: Waiter = {
        expected: new Set(clientIds),
        needed: clientIds?.length ?? 1,
        acked: new Set(),
        done,
      };
      let positions = this.waiting.get(uid);
      if (positions === undefined) {
        positions = new Map();
        this.waiting.set(uid, positions);
      }
      positions.set(position, waiter);
    });
  }

  /** A push that was kept was written to `clientId`, whose acknowledgement now counts. */
  expect(uid: string, position: number, clientId: string): void {
    this.waiting.get(uid)?.get(position)?.expected.add(clientId);
  }

  /** `clientId`, bound to `uid`, acknowledged the push at `position`; any other ack is ignored. */
  ack(uid: string, position: number, clientId: string): void {
    const waiter = this.waiting.get(uid)?.get(position);
    if (waiter === undefined || !waiter.expected.has(clientId)) {
      return;
    }
    waiter.acked.add(clientId);
    if (waiter.acked.size >= waiter.needed) {
      waiter.done();
    }
  }

  /**
   * Ends every wait with its count so far, and every later one at once: on shutdown, the sends
   * are answered before their connections close.
   */
  endAll(): void {
    this.ended = true;
    // A finished wait deletes itself: Map iteration goes on past deleted entries.
    for (const positions of this.waiting.values()) {
      for (const waiter of positions.values()) {
        waiter.done();
      }
    }
  }
}
