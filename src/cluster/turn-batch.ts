/**
 * Collects the changes of one event-loop turn and sends them together: the first `schedule()` of
 * a turn arranges one `send` call right after it (`setImmediate`), so that a burst of connections
 * costs a few Redis commands, not a few per connection.
 */
export class TurnBatch {
  private scheduled: NodeJS.Immediate | undefined;
  private next: { promise: Promise<void>; resolve: () => void } | undefined;
  private last: Promise<void> = Promise.resolve();

  /** `send` sends what was collected and settles once Redis has answered it. */
  constructor(private readonly send: () => Promise<unknown>) {}

  schedule(): void {
    if (this.scheduled === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.next = { promise, resolve };
      this.scheduled = setImmediate(() => this.run());
    }
  }

  /**
   * Settles once what was scheduled so far has been sent and answered, or has failed (a failure
   * means the link is down, and the owner repairs everything when it is back). Never rejects.
   */
  done(): Promise<void> {
    return this.next?.promise ?? this.last;
  }

  /** Forgets what is scheduled; whoever waits for it is released. */
  cancel(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    this.next?.resolve();
    this.next = undefined;
  }

  private run(): void {
    const next = this.next!;
    this.scheduled = undefined;
    this.next = undefined;
    let sent: Promise<unknown>;
    try {
      sent = this.send();
    } catch (error) {
      sent = Promise.reject(error);
    }
    this.last = sent.then(ignore, ignore);
    void this.last.then(next.resolve);
  }
}

function ignore(): void {}
