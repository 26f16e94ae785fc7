import { Module } from '@nestjs/common';
import { PushEvents } from './push-events.service.js';
import { WebhookService } from './webhook.service.js';

@Module({
  providers: [PushEvents, WebhookService],
  exports: [PushEvents],
})
export class EventsModule {}
