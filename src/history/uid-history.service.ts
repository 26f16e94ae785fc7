import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Buffer } from 'node:buffer';
import { PushConfig } from '../config/push-config.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { Fifo } from './fifo.js';
import type { Frame } from './frame.js';

/**
 * Bytes counted for a kept push beyond its text (the entry, its frame, its place in two queues),
 * and for a uid's log (the log, its array, its map entry, the uid): measured with heap snapshots,
 * rounded up.
 */
const ENTRY_OVERHEAD = 200;
const LOG_OVERHEAD = 250;

/** Milliseconds between sweeps of expired pushes, so that a uid nobody pushes to again is freed. */
const SWEEP_INTERVAL_MS = 1000;

/** A push kept for a uid. */
export interface Kept {
  readonly position: number;
  readonly frame: Frame;
  /** The sender waits for acknowledgements of it. */
  readonly ack: boolean;
}

/** A push owed to a connection that binds a uid. */
export interface Owed extends Kept {
  /** Kept because nobody had received it: this connection is the first. */
  readonly pending: boolean;
}

/** What a connection that binds a uid is owed: pushes to write, after `init_ok`. */
export interface Backlog {
  /** The uid's newest position: where a recovering connection stands once it has the backlog. */
  position: number | undefined;
  /** For a connection that gave `since`: whether everything after it was still kept. */
  recovered: boolean | undefined;
  pushes: Owed[];
}

/**
 * The backlog of a binding with nothing kept for its uid: nothing owed, and a connection that
 * asks to recover from `since` is told that it cannot.
 */
export function noBacklog<T extends Owed>(
  since: number | undefined,
): Backlog & { pushes: T[] } {
  return {
    position: undefined,
    recovered: since === undefined ? undefined : false,
    pushes: [],
  };
}

type DropReason = 'expired' | 'uid_limit' | 'bytes_limit';

/** What a dropped entry keeps of its push until the queue lets go of it: nothing. */
const DROPPED: Frame = { text: '', isText: true };

interface Entry extends Kept {
  frame: Frame;
  readonly log: UidLog;
  readonly expiresAt: number;
  readonly bytes: number;
  /** Kept because the uid had no connection: nobody has received it yet. */
  pending: boolean;
  /** No longer in its uid's log; the queue skips it. */
  dropped: boolean;
}

/** One uid's kept pushes, oldest first, and the positions they span. */
interface UidLog {
  readonly uid: string;
  readonly entries: Entry[];
  /** Positions up to this one are no longer kept (or came before the log). */
  floor: number;
  /** The newest position given out. */
  last: number;
  /** Bound connections that follow positions; the log lives while there are any. */
  followers: number;
  /**
   * When the last follower left, plus the TTL: until then the log lives on, empty or not, so
   * that a connection coming back soon recovers even when nothing was pushed meanwhile.
   */
  lingerUntil: number;
  /** Bytes it counts for in the cap (see `charge`). */
  charged: number;
  /** In the lingering queue. */
  lingers: boolean;
}

/**
 * The pushes to each uid, kept for `PUSH_BUFFER_TTL_MS`: the offline buffer and the recovery
 * history in one. A push to a uid with no connection is kept as pending and written to the first
 * connection that binds the uid. A push to a uid that a recovering connection follows (or left
 * less than a TTL ago) is kept with its position, so that the connection can come back with the
 * last position it saw and get what it missed. Uids with neither cost one map lookup per push.
 *
 * Bounded three ways: the TTL, `PUSH_BUFFER_MAX_PER_UID` per uid, and `PUSH_BUFFER_MAX_BYTES` in
 * all (pushes, and the logs of uids nobody follows); each drops the oldest first. Every push has
 * the same TTL, so the pushes of all uids expire in the order they were kept: one queue, swept
 * from its head.
 *
 * Positions grow by one per push to a uid. A uid's first position comes from the clock (in
 * microseconds), so that positions given out after a restart are above those given out before,
 * and a connection coming back with a position from before the restart is told that it cannot
 * recover. A push to a uid that is not kept, while its log lives, still takes a position, and
 * nothing before it can be recovered: a gap is never passed off as complete.
 */
@Injectable()
export class UidHistory implements OnModuleDestroy {
  private readonly logs = new Map<string, UidLog>();
  /** Every kept push, oldest first; dropped ones are skipped, or compacted away. */
  private readonly queue = new Fifo<Entry>();
  /** Entries dropped from their log but still in the queue. */
  private droppedInQueue = 0;
  /** Logs whose last follower left, in the order they did (the same TTL for all). */
  private readonly lingering = new Fifo<UidLog>();
  private bytes = 0;
  private keptCount = 0;
  private pendingCount = 0;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: PushConfig,
    private readonly metrics: PushMetrics,
  ) {
    if (this.enabled) {
      this.sweeper = setInterval(
        () => this.expire(Date.now()),
        SWEEP_INTERVAL_MS,
      ).unref();
    }
    metrics.watchHistory(this);
  }

  /** Whether pushes are kept at all (`PUSH_BUFFER_TTL_MS` > 0). */
  get enabled(): boolean {
    return this.config.bufferTtlMs > 0;
  }

  /** Whether `uid` has a log: a push to it must go through `keep` or `pass`. */
  tracks(uid: string): boolean {
    return this.logs.has(uid);
  }

  /**
   * A push to a uid with connections: kept when a recovering connection follows the uid (or left
   * it less than a TTL ago); otherwise it only takes a position, which breaks the log's
   * continuity. Returns the position it was kept at, if it was.
   */
  pass(uid: string, frame: Frame, ack = false): number | undefined {
    const log = this.logs.get(uid);
    if (log === undefined) {
      return undefined;
    }
    if (log.followers > 0 || log.lingerUntil > Date.now()) {
      return this.keep(uid, frame, false, ack);
    }
    log.floor = ++log.last;
    return undefined;
  }

  /**
   * Keeps a push to `uid`: pending when the uid has no connection. Returns its position, or
   * undefined when nothing is kept (buffering is off, or the push alone is over the byte cap).
   */
  keep(
    uid: string,
    frame: Frame,
    pending: boolean,
    ack = false,
  ): number | undefined {
    if (!this.enabled) {
      return undefined;
    }
    const now = Date.now();
    this.expire(now);
    const log = this.logs.get(uid) ?? this.open(uid);
    const entry: Entry = {
      log,
      position: ++log.last,
      frame,
      ack,
      expiresAt: now + this.config.bufferTtlMs,
      bytes: ENTRY_OVERHEAD + Buffer.byteLength(frame.text),
      pending,
      dropped: false,
    };
    if (log.entries.length === 0) {
      this.charge(log);
    }
    log.entries.push(entry);
    this.queue.push(entry);
    this.bytes += entry.bytes;
    this.keptCount++;
    if (pending) {
      this.pendingCount++;
    }
    if (log.entries.length > this.config.bufferMaxPerUid) {
      this.dropOldest(log, 'uid_limit');
    }
    this.enforceByteCap();
    return entry.dropped ? undefined : entry.position;
  }

  /**
   * A connection bound `uid`: it gets the pending pushes nobody has received, and, recovering
   * from `since`, every push after it (when they are all still kept). A recovering connection
   * follows the uid until `unfollow`. The position it answers is where the connection stands
   * before its backlog: resuming from there, nothing of the backlog is skipped.
   */
  bind(
    uid: string,
    { recover, since }: { recover: boolean; since?: number },
  ): Backlog {
    let log = this.logs.get(uid);
    if (recover && this.enabled) {
      log ??= this.open(uid);
      if (log.followers++ === 0) {
        this.charge(log);
      }
    }
    if (log === undefined) {
      return noBacklog(since);
    }
    const recovered =
      since === undefined ? undefined : since >= log.floor && since <= log.last;
    const pushes: Owed[] = [];
    for (const entry of log.entries) {
      const { position, frame, ack, pending } = entry;
      if (pending || (recovered === true && position > since!)) {
        pushes.push({ position, frame, ack, pending });
      }
      if (pending) {
        entry.pending = false;
        this.pendingCount--;
      }
    }
    return {
      position: recover
        ? pushes.length > 0
          ? pushes[0].position - 1
          : log.last
        : undefined,
      recovered,
      pushes,
    };
  }

  /** A recovering connection left `uid` (unbound, or closed). */
  unfollow(uid: string): void {
    const log = this.logs.get(uid);
    if (log !== undefined && --log.followers === 0) {
      log.lingerUntil = Date.now() + this.config.bufferTtlMs;
      this.charge(log);
      this.linger(log);
      this.enforceByteCap();
    }
  }

  /** Counts for the metrics, and of the expiry queue (kept pushes, and dropped ones not let go yet). */
  get stats(): {
    uids: number;
    pending: number;
    bytes: number;
    queued: number;
  } {
    return {
      uids: this.logs.size,
      pending: this.pendingCount,
      bytes: this.bytes,
      queued: this.queue.length,
    };
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private open(uid: string): UidLog {
    const base = Date.now() * 1000;
    const log: UidLog = {
      uid,
      entries: [],
      floor: base,
      last: base,
      followers: 0,
      lingerUntil: 0,
      charged: 0,
      lingers: false,
    };
    this.logs.set(uid, log);
    return log;
  }

  /**
   * Counts a log in the byte cap while it holds pushes or waits out its linger: what nobody
   * follows. Followed logs are bounded by the connections that follow them.
   */
  private charge(log: UidLog): void {
    const due =
      log.followers === 0 && this.logs.get(log.uid) === log
        ? LOG_OVERHEAD + Buffer.byteLength(log.uid)
        : 0;
    this.bytes += due - log.charged;
    log.charged = due;
  }

  /** Drops the pushes whose time is up, oldest first, and the logs whose linger is over. */
  private expire(now: number): void {
    for (
      let entry = this.oldest();
      entry !== undefined && entry.expiresAt <= now;
      entry = this.oldest()
    ) {
      this.dropOldest(entry.log, 'expired');
    }
    while ((this.lingering.peek()?.lingerUntil ?? Infinity) <= now) {
      const log = this.lingering.shift()!;
      log.lingers = false;
      this.closeIfIdle(log);
    }
  }

  /**
   * Brings the bytes under the cap: lingering logs with no pushes go first (at worst, a
   * connection coming back is told to reload), then the oldest pushes of any uid.
   */
  private enforceByteCap(): void {
    while (this.bytes > this.config.bufferMaxBytes) {
      const lingering = this.lingering.peek();
      if (lingering !== undefined) {
        this.lingering.shift();
        lingering.lingers = false;
        lingering.lingerUntil = 0;
        this.closeIfIdle(lingering);
        continue;
      }
      const oldest = this.oldest();
      if (oldest === undefined) {
        return;
      }
      this.dropOldest(oldest.log, 'bytes_limit');
    }
  }

  /** Drops a uid's oldest push; the queue skips it when its turn comes. */
  private dropOldest(log: UidLog, reason: DropReason): void {
    const entry = log.entries.shift()!;
    entry.dropped = true;
    entry.frame = DROPPED;
    log.floor = entry.position;
    this.bytes -= entry.bytes;
    this.keptCount--;
    if (entry.pending) {
      this.pendingCount--;
      this.metrics.bufferDropped(reason);
    }
    // Dropped ahead of their turn (the per-uid limit), entries would wait in the queue for their
    // TTL: once they outnumber the kept ones, they are let go.
    if (++this.droppedInQueue > Math.max(this.keptCount, 1024)) {
      this.queue.retain((kept) => !kept.dropped);
      this.droppedInQueue = 0;
    }
    if (log.entries.length === 0) {
      this.charge(log);
      this.closeIfIdle(log);
    }
  }

  /** Forgets a log that holds nothing and that nobody follows, once its linger is over. */
  private closeIfIdle(log: UidLog): void {
    if (log.entries.length > 0 || log.followers > 0) {
      return;
    }
    if (log.lingerUntil > Date.now()) {
      this.linger(log);
    } else if (this.logs.get(log.uid) === log) {
      this.logs.delete(log.uid);
      this.bytes -= log.charged;
      log.charged = 0;
    }
  }

  private linger(log: UidLog): void {
    if (!log.lingers) {
      log.lingers = true;
      this.lingering.push(log);
    }
  }

  /** The oldest push still kept, of any uid: the head of the queue, past those dropped already. */
  private oldest(): Entry | undefined {
    while (this.queue.peek()?.dropped === true) {
      this.queue.shift();
      this.droppedInQueue--;
    }
    return this.queue.peek();
  }
}
