import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { PushModule } from '../push/push.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { HeartbeatService } from './heartbeat.service.js';
import { PushGateway } from './push.gateway.js';

@Module({
  imports: [RegistryModule, EventsModule, MetricsModule, PushModule],
  providers: [PushGateway, HeartbeatService],
})
export class GatewayModule {}
