import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PushConfig } from '../config/push-config.js';
import { backoffDelay } from '../sdk/backoff.js';
import type { PushgateEventName, PushgateEvents } from './pushgate-events.js';

/** Most events in one POST. */
const MAX_BATCH = 500;
/** Milliseconds one POST may take. */
const REQUEST_TIMEOUT_MS = 5000;
/** Retry delays grow from here (full jitter) ... */
const MIN_RETRY_DELAY_MS = 200;
/** ... up to here. */
const MAX_RETRY_DELAY_MS = 10_000;

/** One event as the webhook receives it. */
type WebhookEvent = { event: PushgateEventName; at: number } & Record<
  string,
  unknown
>;

/**
 * POSTs lifecycle events to `PUSH_WEBHOOK_URL`, for backends that are not Node (a PHP backend
 * reacting to `disconnected` as `Events::onClose` did). Events are batched for
 * `PUSH_WEBHOOK_BATCH_MS`, signed with HMAC-SHA256 in `X-Pushgate-Signature`, sent one batch at a
 * time and retried with backoff. The queue is bounded: when the backend is away too long, the
 * oldest events are dropped and counted. Nothing here ever waits on the push path.
 */
@Injectable()
export class WebhookService implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookService.name);
  private readonly queue: WebhookEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private stopped = false;
  private dropped = 0;

  constructor(private readonly config: PushConfig) {}

  get enabled(): boolean {
    return this.config.webhookUrl !== '';
  }

  enqueue<K extends PushgateEventName>(
    name: K,
    payload: PushgateEvents[K],
  ): void {
    if (!this.enabled || this.stopped) {
      return;
    }
    if (this.queue.length >= this.config.webhookMaxQueue) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push({ event: name, at: Date.now(), ...payload });
    this.schedule();
  }

  /** Stops taking events; what is queued gets one last try. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.sending && this.queue.length > 0) {
      await this.post(this.queue.splice(0, MAX_BATCH)).catch(() => undefined);
    }
  }

  private schedule(): void {
    if (this.timer === undefined && !this.sending) {
      this.timer = setTimeout(
        () => void this.flush(),
        this.config.webhookBatchMs,
      );
      this.timer.unref();
    }
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    this.sending = true;
    while (this.queue.length > 0 && !this.stopped) {
      await this.deliver(this.queue.splice(0, MAX_BATCH));
    }
    this.sending = false;
    if (this.dropped > 0) {
      this.logger.warn(
        `dropped ${this.dropped} events: the webhook queue was full`,
      );
      this.dropped = 0;
    }
  }

  private async deliver(batch: WebhookEvent[]): Promise<void> {
    let failure = '';
    for (let attempt = 0; attempt < this.config.webhookMaxAttempts; attempt++) {
      if (attempt > 0) {
        await sleep(
          backoffDelay(attempt - 1, MIN_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS),
          undefined,
          {
            ref: false,
          },
        );
      }
      try {
        await this.post(batch);
        return;
      } catch (error) {
        failure = (error as Error).message;
      }
    }
    this.logger.warn(
      `dropped ${batch.length} events after ${this.config.webhookMaxAttempts} attempts: ${failure}`,
    );
  }

  private async post(batch: WebhookEvent[]): Promise<void> {
    const body = JSON.stringify({ events: batch });
    const response = await fetch(this.config.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pushgate-signature': `sha256=${createHmac('sha256', this.config.webhookSecret).update(body).digest('hex')}`,
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
  }
}
