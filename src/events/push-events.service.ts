import { Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { PushgateEventName, PushgateEvents } from './pushgate-events.js';
import { WebhookService } from './webhook.service.js';

/**
 * Where Pushgate announces lifecycle events: to `@OnEvent` listeners, when the application has
 * `EventEmitterModule` from `@nestjs/event-emitter`, and to the webhook, when one is configured.
 * A listener that throws is logged and cannot break the connection that caused the event.
 */
@Injectable()
export class PushEvents {
  private readonly logger = new Logger(PushEvents.name);

  constructor(
    private readonly webhook: WebhookService,
    @Optional() private readonly emitter?: EventEmitter2,
  ) {}

  /** Whether anyone can receive events at all; when not, a caller may skip preparing one. */
  get active(): boolean {
    return this.emitter !== undefined || this.webhook.enabled;
  }

  emit<K extends PushgateEventName>(name: K, payload: PushgateEvents[K]): void {
    this.webhook.enqueue(name, payload);
    try {
      this.emitter?.emit(name, payload);
    } catch (error) {
      this.logger.error(`a listener of ${name} failed`, error);
    }
  }
}
