import { Logger } from '@nestjs/common';
import { type ChainableCommander, Redis } from 'ioredis';
import { ClusterUnavailableError } from '../common/errors/cluster-unavailable.error.js';
import type { ReadinessService } from '../health/readiness.service.js';
import { defineScripts } from './redis-scripts.js';

/**
 * Milliseconds Redis may leave a connection with commands waiting without sending anything back;
 * then the connection counts as lost (an outage, like a closed one). One timer per connection,
 * not one per command: a per-command timeout cost about 0.7 µs of CPU per command.
 */
export const REPLY_TIMEOUT_MS = 3000;
/** Longest wait between two attempts to reconnect, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;
/** The readiness source this link reports as. */
const READINESS_SOURCE = 'cluster';

type LinkState = 'down' | 'syncing' | 'up' | 'closed';

/** What the owner of the link does when it comes up and goes down. */
export interface LinkListener {
  /**
   * Both connections are (again) ready: announce this node (presence, subscriptions). The link is
   * up once this resolves; if it rejects, the link stays down until `synchronize()` is called again.
   */
  connected(): Promise<void>;
  /** The link went down: whatever was in flight has failed or will. */
  disconnected(): void;
  /** A message arrived on a subscribed channel. */
  message(channel: string, text: string): void;
}

/**
 * The two Redis connections of a node, one for commands and one for subscriptions (a subscribed
 * connection can do nothing else), and whether the node is in the cluster: up once both are
 * connected and the node is announced, down from the moment either drops. ioredis reconnects by
 * itself; nothing waits in an offline queue and nothing is resent after a reconnect, because the
 * node re-announces its whole state instead. While down, readiness reports it.
 */
export class RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private state: LinkState = 'down';
  /** Counts the attempts to synchronize, so that a stale one cannot declare the link up. */
  private attempt = 0;
  /** When the current outage began (for the log), or undefined while up or not yet connected. */
  private outageSince: number | undefined;
  private lastProblem = '';
  /** The last error either connection reported: why it closed, or why it cannot reconnect. */
  private lastError = '';
  /** Who waits for an announcement under way to end, one way or the other. */
  private syncWaiters: Array<() => void> = [];
  private readonly logger = new Logger('Cluster');

  constructor(
    url: string,
    connectionName: string,
    private readonly readiness: ReadinessService,
    private readonly listener: LinkListener,
  ) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      socketTimeout: REPLY_TIMEOUT_MS,
      connectTimeout: REPLY_TIMEOUT_MS,
      connectionName,
      retryStrategy: (times: number) =>
        Math.min(100 * times, MAX_RECONNECT_DELAY_MS) +
        Math.floor(Math.random() * 100),
    };
    this.commands = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    defineScripts(this.commands);
    for (const connection of [this.commands, this.subscriber]) {
      connection.on('ready', () => this.synchronize());
      connection.on('close', () =>
        this.lost(this.lastError || 'connection closed'),
      );
      // Not a state change by itself: a connection that fails closes, and reconnecting fails
      // with an error each time. It tells why.
      connection.on('error', (error: Error) => {
        this.lastError = error.message;
        if (this.state === 'down') {
          this.report(error.message);
        }
      });
    }
    this.subscriber.on('message', (channel: string, text: string) =>
      this.listener.message(channel, text),
    );
    this.readiness.report(READINESS_SOURCE, 'not connected to Redis yet');
  }

  /** Whether cross-node operations can run now. */
  get up(): boolean {
    return this.state === 'up';
  }

  /** Throws `cluster_unavailable` while down, saying what was done on this node alone. */
  assertUp(doneHere?: string): void {
    if (this.state !== 'up') {
      throw this.unavailable(doneHere);
    }
  }

  /** The error of an operation that needed the other nodes while the link is down. */
  unavailable(doneHere?: string): ClusterUnavailableError {
    const why =
      this.state === 'syncing'
        ? 'this node is re-announcing itself to Redis'
        : `this node cannot reach Redis (${this.lastProblem || 'not connected'})`;
    return new ClusterUnavailableError(
      doneHere === undefined ? why : `${why}; ${doneHere}`,
    );
  }

  /**
   * Runs the commands `build` adds in one round trip and returns their results, in order. Fails
   * with `cluster_unavailable` when the link is down or goes down meanwhile; an error Redis
   * answers (a bug, not an outage) is thrown as it is.
   */
  async run(
    build: (pipeline: ChainableCommander) => void,
    doneHere?: string,
  ): Promise<unknown[]> {
    this.assertUp(doneHere);
    const pipeline = this.commands.pipeline();
    build(pipeline);
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch {
      throw this.unavailable(doneHere);
    }
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (replies === null || failed !== undefined) {
      throw failed?.name === 'ReplyError' ? failed : this.unavailable(doneHere);
    }
    return replies.map(([, result]) => result);
  }

  /**
   * This node has to be announced again while connected (its presence lapsed): down, then up
   * again once `connected` has run.
   */
  reannounce(): void {
    if (this.state === 'up') {
      this.lost('this node was dropped from the cluster (its presence lapsed)');
      this.synchronize();
    }
  }

  /** Connects both; resolves after the first attempt, up or not (ioredis keeps trying). */
  async connect(): Promise<void> {
    await Promise.allSettled([
      this.commands.connect(),
      this.subscriber.connect(),
    ]);
    if (this.state === 'syncing') {
      await new Promise<void>((resolve) => this.syncWaiters.push(resolve));
    }
  }

  /**
   * Announces the node when both connections are ready and it is not up: on every reconnect, and
   * when called again after an announcement failed (another process held the node id, say).
   */
  synchronize(): void {
    if (
      this.state === 'up' ||
      this.state === 'closed' ||
      this.commands.status !== 'ready' ||
      this.subscriber.status !== 'ready'
    ) {
      return;
    }
    const attempt = ++this.attempt;
    this.state = 'syncing';
    this.lastError = '';
    this.listener.connected().then(
      () => {
        if (attempt !== this.attempt || this.state !== 'syncing') {
          return;
        }
        this.setState('up');
        this.readiness.report(READINESS_SOURCE, undefined);
        if (this.outageSince !== undefined) {
          this.logger.log(
            `Redis is back after ${Date.now() - this.outageSince} ms; this node is announced again`,
          );
        }
        this.outageSince = undefined;
      },
      (error: Error) => {
        if (attempt === this.attempt && this.state === 'syncing') {
          this.setState('down');
          this.report(error.message);
        }
      },
    );
  }

  /** Closes both connections; the link is down for good. */
  async close(): Promise<void> {
    this.setState('closed');
    this.attempt++;
    await Promise.allSettled(
      [this.commands, this.subscriber].map((connection) =>
        connection.status === 'ready'
          ? connection.quit()
          : Promise.resolve(connection.disconnect()),
      ),
    );
  }

  private lost(problem: string): void {
    if (this.state === 'closed') {
      return;
    }
    const wasUp = this.state !== 'down';
    this.attempt++;
    this.setState('down');
    this.report(problem);
    if (wasUp) {
      this.listener.disconnected();
    }
  }

  private setState(state: LinkState): void {
    this.state = state;
    if (state !== 'syncing') {
      this.syncWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  /** Readiness and the log, once per outage and whenever the reason changes. */
  private report(problem: string): void {
    this.readiness.report(READINESS_SOURCE, `Redis: ${problem}`);
    if (problem === this.lastProblem && this.outageSince !== undefined) {
      return;
    }
    this.lastProblem = problem;
    this.outageSince ??= Date.now();
    this.logger.warn(
      `Redis: ${problem}; cross-node operations answer cluster_unavailable until this node is announced again`,
    );
  }
}
