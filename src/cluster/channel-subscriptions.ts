import { TurnBatch } from './turn-batch.js';

/** The subscriber connection, as `ChannelSubscriptions` uses it. */
export interface Subscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
}

/** Channels per SUBSCRIBE command, so that re-subscribing a busy node is not one huge command. */
const CHANNELS_PER_COMMAND = 1000;

/**
 * The channels this node should listen to, and the commands that make Redis agree. Wanting and
 * dropping are synchronous and cheap; the changes of one event-loop turn go out together, in
 * order, as at most one SUBSCRIBE and one UNSUBSCRIBE. While the link is down nothing is sent:
 * `resubscribeAll` puts every wanted channel back once it is up again.
 */
export class ChannelSubscriptions {
  private readonly wanted = new Set<string>();
  /** Channels whose wanted state changed since the last batch went out. */
  private readonly changed = new Set<string>();
  /** What this connection told Redis: the channels it subscribed to and did not unsubscribe. */
  private readonly sent = new Set<string>();
  /**
   * Channels unsubscribed from, until Redis confirms it (by the UNSUBSCRIBEs in flight): publishes
   * may still reach this node.
   */
  private readonly leaving = new Map<string, number>();
  private readonly batch = new TurnBatch(() => this.sendChanges());
  private active = false;

  constructor(private readonly subscriber: Subscriber) {}

  /** Listen to `channel` (nothing happens when it is wanted already). */
  want(channel: string): void {
    if (!this.wanted.has(channel)) {
      this.wanted.add(channel);
      this.mark(channel);
    }
  }

  /** Stop listening to `channel`. */
  drop(channel: string): void {
    if (this.wanted.delete(channel)) {
      this.mark(channel);
    }
  }

  has(channel: string): boolean {
    return this.wanted.has(channel);
  }

  /**
   * Whether a publish on `channel` now may reach this node: it is wanted, subscribed to, or being
   * unsubscribed from. A publish's count of receivers may include this node only then.
   */
  mayReceive(channel: string): boolean {
    return (
      this.wanted.has(channel) ||
      this.sent.has(channel) ||
      this.leaving.has(channel)
    );
  }

  /** How many channels are wanted. */
  get size(): number {
    return this.wanted.size;
  }

  /** Settles once Redis has confirmed the changes asked for so far, or the link failed. Never rejects. */
  settled(): Promise<void> {
    return this.batch.done();
  }

  /** The link is down: send nothing until `resubscribeAll`. */
  pause(): void {
    this.active = false;
    this.sent.clear();
    this.changed.clear();
    this.batch.cancel();
  }

  /** On a fresh subscriber connection: subscribes to every wanted channel; rejects if that fails. */
  async resubscribeAll(): Promise<void> {
    this.pause();
    const channels = [...this.wanted];
    channels.forEach((channel) => this.sent.add(channel));
    this.active = true;
    await Promise.all(
      chunks(channels).map((chunk) => this.subscriber.subscribe(...chunk)),
    );
  }

  private mark(channel: string): void {
    if (this.active) {
      this.changed.add(channel);
      this.batch.schedule();
    }
  }

  private sendChanges(): Promise<unknown> {
    const subscribe: string[] = [];
    const unsubscribe: string[] = [];
    for (const channel of this.changed) {
      const wanted = this.wanted.has(channel);
      if (wanted && !this.sent.has(channel)) {
        subscribe.push(channel);
        this.sent.add(channel);
      } else if (!wanted && this.sent.has(channel)) {
        unsubscribe.push(channel);
        this.sent.delete(channel);
        this.leaving.set(channel, (this.leaving.get(channel) ?? 0) + 1);
      }
    }
    this.changed.clear();
    return Promise.all([
      ...chunks(subscribe).map((chunk) => this.subscriber.subscribe(...chunk)),
      ...chunks(unsubscribe).map((chunk) =>
        this.subscriber.unsubscribe(...chunk).finally(() => {
          for (const channel of chunk) {
            const left = this.leaving.get(channel)! - 1;
            if (left === 0) {
              this.leaving.delete(channel);
            } else {
              this.leaving.set(channel, left);
            }
          }
        }),
      ),
    ]);
  }
}

function chunks(channels: string[]): string[][] {
  const result: string[][] = [];
  for (let i = 0; i < channels.length; i += CHANNELS_PER_COMMAND) {
    result.push(channels.slice(i, i + CHANNELS_PER_COMMAND));
  }
  return result;
}
