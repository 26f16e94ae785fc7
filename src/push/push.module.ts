import { Module } from '@nestjs/common';
import { pushServiceProvider } from '../cluster/push-service.provider.js';
import { EventsModule } from '../events/events.module.js';
import { HistoryModule } from '../history/history.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { ConnectionController } from './connection.controller.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';
import { QueryController } from './query.controller.js';
import { TextTransport } from './transport/text.transport.js';

@Module({
  // ReadinessService (for cluster mode) comes from the global PushgateModule, like PushConfig:
  // importing HealthModule here would order its shutdown hook after the text port's drain.
  imports: [RegistryModule, EventsModule, MetricsModule, HistoryModule],
  controllers: [PushController, ConnectionController, QueryController],
  // PushService: the single node's, or in cluster mode ClusterPushService (see the provider).
  providers: [pushServiceProvider, TextTransport],
  exports: [PushService, TextTransport],
})
export class PushModule {}
