import { Injectable } from '@nestjs/common';
import { PushConfig } from '../config/push-config.js';

/**
 * Milliseconds a report or an acknowledgement is kept for a wait that does not exist yet: in a
 * cluster, the sender learns a push's position from Redis on one connection while another node's
 * report of it may come in first on another. Longer than Redis may take to answer (3 s), and at
 * most this many kept, the oldest let go first: browsers can acknowledge positions nobody waits
 * for.
 */
const EARLY_MS = 5000;
const MAX_EARLY = 10_000;

type Early = { ids: readonly string[]; settles: boolean } | { acked: string };

interface Waiter {
  /** The connections whose acknowledgement counts: those the push was written to, recovering. */
  readonly expected: Set<string>;
  readonly acked: Set<string>;
  /** Reports still to come of where the push was written (see `report`). */
  reportsDue: number;
  readonly done: () => void;
}

/**
 * Sends waiting for browsers to acknowledge a push (`{"type":"ack","position":N}`), by uid and
 * position. Each recovering connection the push was written to counts once. Where the push was
 * written is known at once for this node's connections; for a push kept until a connection binds
 * the uid, or written by other nodes of a cluster, it comes later, as reports. A wait ends when
 * every report is in and every connection they name has acknowledged, or when its time is up,
 * with the count so far.
 */
@Injectable()
export class AckTracker {
  private readonly waiting = new Map<string, Map<number, Waiter>>();
  /** By `uid\nposition`: what came for a wait before it began, and when. */
  private readonly early = new Map<string, { at: number; events: Early[] }>();
  private ended = false;

  constructor(private readonly config: PushConfig) {}

  /**
   * Resolves to how many connections acknowledged the push at `position`: those in `expected`,
   * and those that `reportsDue` reports will name. Ends after `timeoutMs` (default
   * `PUSH_ACK_TIMEOUT_MS`) with the count so far.
   */
  wait(
    uid: string,
    position: number,
    expected: readonly string[],
    reportsDue: number,
    timeoutMs = this.config.ackTimeoutMs,
  ): Promise<number> {
    if (this.ended || (expected.length === 0 && reportsDue === 0)) {
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
        expected: new Set(expected),
        acked: new Set(),
        reportsDue,
        done,
      };
      let positions = this.waiting.get(uid);
      if (positions === undefined) {
        positions = new Map();
        this.waiting.set(uid, positions);
      }
      positions.set(position, waiter);
      const key = `${uid}\n${position}`;
      for (const event of this.early.get(key)?.events ?? []) {
        if ('acked' in event) {
          this.ack(uid, position, event.acked);
        } else {
          this.report(uid, position, event.ids, event.settles);
        }
      }
      this.early.delete(key);
    });
  }

  /**
   * Where the push was written: to the recovering connections `ids`. `settles` says whether this
   * is one of the reports the wait counts on; otherwise (a connection that recovered the push
   * later) it only adds the connections.
   */
  report(
    uid: string,
    position: number,
    ids: readonly string[],
    settles: boolean,
  ): void {
    const waiter = this.waiting.get(uid)?.get(position);
    if (waiter === undefined) {
      this.keepEarly(uid, position, { ids, settles });
      return;
    }
    for (const id of ids) {
      waiter.expected.add(id);
    }
    if (settles) {
      waiter.reportsDue--;
    }
    settle(waiter);
  }

  /** `clientId`, bound to `uid`, acknowledged the push at `position`; any other ack is ignored. */
  ack(uid: string, position: number, clientId: string): void {
    const waiter = this.waiting.get(uid)?.get(position);
    if (waiter === undefined) {
      this.keepEarly(uid, position, { acked: clientId });
      return;
    }
    if (!waiter.expected.has(clientId)) {
      return;
    }
    waiter.acked.add(clientId);
    settle(waiter);
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

  /** Keeps what came for a wait that may begin soon; lets go of what waited too long. */
  private keepEarly(uid: string, position: number, event: Early): void {
    if (this.ended) {
      return;
    }
    const now = Date.now();
    for (const [key, { at }] of this.early) {
      if (at > now - EARLY_MS && this.early.size < MAX_EARLY) {
        break;
      }
      this.early.delete(key);
    }
    const key = `${uid}\n${position}`;
    const kept = this.early.get(key);
    if (kept === undefined) {
      this.early.set(key, { at: now, events: [event] });
    } else {
      kept.events.push(event);
    }
  }
}

function settle(waiter: Waiter): void {
  if (waiter.reportsDue <= 0 && waiter.acked.size >= waiter.expected.size) {
    waiter.done();
  }
}
