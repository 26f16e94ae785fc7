import {
  type MiddlewareConsumer,
  Module,
  type NestModule,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ApiModule } from './api/api.module.js';
import { RequestIdMiddleware } from './api/request-id.middleware.js';
import { loadConfig } from './config/load-config.js';
import { DemoModule } from './demo/demo.module.js';
import { PushConfig, type PushgateOptions } from './config/push-config.js';
import { EventsModule } from './events/events.module.js';
import { BIND_GUARD } from './gateway/bind-guard.js';
import { GatewayModule } from './gateway/gateway.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PushModule } from './push/push.module.js';
import {
  PUSHGATE_OPTIONS,
  PushgateConfigurableModule,
} from './pushgate.module-definition.js';
import { RegistryModule } from './registry/registry.module.js';
import { ReservedNamesCheck } from './reserved-names.check.js';

/**
 * Pushgate as a Nest module. `PushgateModule.forRoot(options)` (or `forRootAsync`) brings the
 * WebSocket gateway, the text-port commands and `PushService`, and on HTTP the command API,
 * health probes, metrics and the demo page; settings not given in `options` come from the
 * environment, as for `npm start`. Then `startPushgate(app)` starts the listeners.
 */
@Module({
  imports: [
    DiscoveryModule,
    RegistryModule,
    EventsModule,
    MetricsModule,
    HealthModule,
    PushModule,
    GatewayModule,
    ApiModule,
    DemoModule,
  ],
  providers: [
    {
      provide: PushConfig,
      inject: [PUSHGATE_OPTIONS],
      useFactory: (options: PushgateOptions) => loadConfig(options),
    },
    ReservedNamesCheck,
  ],
  exports: [PushConfig, BIND_GUARD, PushModule, MetricsModule, HealthModule],
})
export class PushgateModule
  extends PushgateConfigurableModule
  implements NestModule
{
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes('api', 'health', 'metrics');
  }
}
