import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/**
 * Whether this server should be sent traffic: not before its listeners are up, not once it is
 * shutting down, and not while a part of it reports a problem (cluster mode without Redis, say).
 */
@Injectable()
export class ReadinessService implements BeforeApplicationShutdown {
  private started = false;
  private stopping = false;
  private readonly problems = new Map<string, string>();

  /** Called once every listener is up. */
  markStarted(): void {
    this.started = true;
  }

  /** A part of the server (`source`) cannot serve as it should; `undefined` clears it. */
  report(source: string, problem: string | undefined): void {
    if (problem === undefined) {
      this.problems.delete(source);
    } else {
      this.problems.set(source, problem);
    }
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /** Why the server is not ready, or `undefined` when it is. */
  get problem(): string | undefined {
    if (this.stopping) {
      return 'shutting down';
    }
    if (!this.started) {
      return 'starting';
    }
    return [...this.problems.values()].join('; ') || undefined;
  }
}
