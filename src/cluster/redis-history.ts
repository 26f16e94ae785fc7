import type { ChainableCommander } from 'ioredis';
import type { PushConfig } from '../config/push-config.js';
import {
  type Backlog,
  noBacklog,
  type Owed,
} from '../history/uid-history.service.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { UidTarget } from './cluster-message.js';
import { pushToUidScript } from './history-scripts.js';
import type { RedisLink } from './redis-link.js';

/** Histories swept per script run, and uids held open per script run: each run stays short. */
const SWEEP_LIMIT = 500;
const FOLLOW_BATCH = 500;

/** A push owed to a connection, from a history in Redis: it names the node it came through. */
export interface RemoteOwed extends Owed {
  readonly origin: string;
  /** How long its sender waits for acknowledgements, when it does. */
  readonly waitMs?: number;
}

/** What the history made of a push to one uid. */
export interface UidPushOutcome {
  /** Subscriptions the publish reached, this node's own included. */
  receivers: number;
  /** Its position on the uid, when the uid has a history. */
  position: number | undefined;
  /** Kept for the first connection to bind the uid: nobody took it. */
  pending: boolean;
}

/**
 * The uid histories of cluster mode, in Redis (see `history-scripts.ts`): the offline buffer and
 * the recovery history that every node shares, so that a connection gets what was kept for its
 * uid, or recovers what it missed, on whichever node it binds. The same bounds apply as on a
 * single node (`PUSH_BUFFER_TTL_MS`, `PUSH_BUFFER_MAX_PER_UID`, `PUSH_BUFFER_MAX_BYTES`), for the
 * whole cluster.
 *
 * This node holds open the histories its recovering connections follow; a history nobody
 * follows or pushes to goes a TTL later, swept by whichever node gets there first.
 */
export class RedisHistory {
  /** Uid → how many of this node's recovering connections follow it. */
  private readonly followed = new Map<string, number>();

  constructor(
    private readonly nodeId: string,
    private readonly keys: ClusterKeys,
    private readonly link: RedisLink,
    private readonly config: PushConfig,
  ) {
    link.commands.defineCommand(
      'pushToUid',
      pushToUidScript({
        queue: keys.historyQueue,
        total: keys.historyBytes,
        historyPrefix: keys.historyPrefix,
        logPrefix: keys.historyLogPrefix,
        channelPrefix: keys.uidChannel(''),
        ttlMs: config.bufferTtlMs,
        maxPerUid: config.bufferMaxPerUid,
        maxBytes: config.bufferMaxBytes,
      }),
    );
  }

  /**
   * Adds a push to `uid` to `pipeline`: published on the uid's channel, and kept as the uid's
   * history says (see `pushToUid`). `takenHere`: this node wrote it to a connection of the uid.
   */
  push(
    pipeline: ChainableCommander,
    uid: string,
    message: string,
    takenHere: boolean,
    receivesItself: boolean,
  ): void {
    pipeline.pushToUid(
      this.keys.history(uid),
      uid,
      message,
      takenHere ? -1 : receivesItself ? 1 : 0,
    );
  }

  /** Reads the reply of a `push`. */
  static outcome(reply: unknown): UidPushOutcome {
    if (typeof reply === 'number') {
      return { receivers: reply, position: undefined, pending: false };
    }
    const [receivers, position, pending] = reply as [number, string, 0 | 1];
    return { receivers, position: Number(position), pending: pending === 1 };
  }

  /**
   * A connection of this node binds `uid`: what it is owed, as `UidHistory.bind` on a single node.
   * `marker` is published on this node's channel once the backlog is read.
   */
  async bind(
    uid: string,
    recover: boolean,
    since: number | undefined,
    marker: string,
  ): Promise<Backlog & { pushes: RemoteOwed[] }> {
    const [reply] = await this.link.run((p) =>
      p.bindToUid(
        this.keys.historyQueue,
        this.keys.historyBytes,
        this.keys.historyPrefix,
        this.keys.historyLogPrefix,
        uid,
        recover ? 1 : 0,
        since === undefined ? '' : String(since),
        this.config.bufferTtlMs,
        this.holdMs,
        this.keys.nodeChannel(this.nodeId),
        marker,
      ),
    );
    if (reply === null) {
      return noBacklog(since);
    }
    const [last, recovered, entries] = reply as [string, 1 | 0 | -1, string[]];
    const pushes = entries.map(parseEntry);
    return {
      position: recover
        ? pushes.length > 0
          ? pushes[0]!.position - 1
          : Number(last)
        : undefined,
      recovered: recovered === -1 ? undefined : recovered === 1,
      pushes,
    };
  }

  /** Makes pushes that a binding took pending again: its connection closed before it got them. */
  async giveBack(uid: string, positions: readonly number[]): Promise<void> {
    if (positions.length > 0) {
      await this.link.run((p) =>
        p.returnPending(
          this.keys.historyQueue,
          this.keys.historyBytes,
          this.keys.historyPrefix,
          this.keys.historyLogPrefix,
          uid,
          ...positions.map(String),
        ),
      );
    }
  }

  /**
   * How long a history stays open after a recovering connection of this node binds or follows
   * it: a TTL, and at least until this node's next two renewals (see `maintain`).
   */
  private get holdMs(): number {
    return Math.max(this.config.bufferTtlMs, this.config.nodeTtlMs);
  }

  /** A recovering connection of this node follows `uid`. */
  follow(uid: string): void {
    this.followed.set(uid, (this.followed.get(uid) ?? 0) + 1);
  }

  /** A recovering connection of this node no longer follows `uid`. */
  unfollow(uid: string): void {
    const count = (this.followed.get(uid) ?? 0) - 1;
    if (count > 0) {
      this.followed.set(uid, count);
    } else {
      this.followed.delete(uid);
    }
  }

  /**
   * Holds open the histories this node follows (see `holdMs`), and sweeps those whose time is up.
   * Runs at every renewal of this node, every third of `PUSH_NODE_TTL_MS`.
   */
  async maintain(): Promise<void> {
    if (this.config.bufferTtlMs <= 0) {
      return;
    }
    const uids = [...this.followed.keys()];
    await this.link.run((p) => {
      for (let i = 0; i < uids.length; i += FOLLOW_BATCH) {
        p.followUids(
          this.keys.historyQueue,
          this.keys.historyBytes,
          this.keys.historyPrefix,
          this.keys.historyLogPrefix,
          this.holdMs,
          ...uids.slice(i, i + FOLLOW_BATCH),
        );
      }
    });
    let swept: number;
    do {
      [swept] = (await this.link.run((p) =>
        p.sweepHistories(
          this.keys.historyQueue,
          this.keys.historyBytes,
          this.keys.historyPrefix,
          this.keys.historyLogPrefix,
          SWEEP_LIMIT,
        ),
      )) as [number];
    } while (swept === SWEEP_LIMIT);
  }
}

/**
 * An entry of a history's log (`<position> <expires> <state> <origin> <meta>\n<body>`), as the
 * binding script returns it: `p` if it was pending until this binding took it.
 */
function parseEntry(entry: string): RemoteOwed {
  const end = entry.indexOf('\n');
  const [position, , state, origin, meta] = entry
    .slice(0, end)
    .split(' ', 5) as [string, string, string, string, string];
  const target: UidTarget = meta === '' ? {} : JSON.parse(`{${meta}}`);
  return {
    position: Number(position),
    frame: { text: entry.slice(end + 1), isText: target.text === true },
    ack: target.ack === true,
    pending: state === 'p',
    origin,
    waitMs: target.wait,
  };
}
