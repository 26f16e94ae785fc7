import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EventsModule } from '../events/events.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { PushModule } from '../push/push.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { ConnectionGate } from './connection-gate.service.js';
import { HeartbeatService } from './heartbeat.service.js';
import { PushGateway } from './push.gateway.js';

@Module({
  imports: [
    AuthModule,
    RegistryModule,
    EventsModule,
    MetricsModule,
    PushModule,
  ],
  providers: [PushGateway, HeartbeatService, ConnectionGate],
  exports: [ConnectionGate],
})
export class GatewayModule {}
