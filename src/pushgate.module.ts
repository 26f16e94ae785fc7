import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { loadConfig } from './config/load-config.js';
import { PushConfig, type PushgateOptions } from './config/push-config.js';
import { EventsModule } from './events/events.module.js';
import { BIND_GUARD } from './gateway/bind-guard.js';
import { GatewayModule } from './gateway/gateway.module.js';
import { PushModule } from './push/push.module.js';
import {
  PUSHGATE_OPTIONS,
  PushgateConfigurableModule,
} from './pushgate.module-definition.js';
import { RegistryModule } from './registry/registry.module.js';
import { ReservedNamesCheck } from './reserved-names.check.js';

/**
 * Pushgate as a Nest module. `PushgateModule.forRoot(options)` (or `forRootAsync`) brings the
 * WebSocket gateway, the text-port commands and `PushService`; settings not given in `options`
 * come from the environment, as for `npm start`. Then `startPushgate(app)` starts the listeners.
 */
@Module({
  imports: [
    DiscoveryModule,
    RegistryModule,
    EventsModule,
    PushModule,
    GatewayModule,
  ],
  providers: [
    {
      provide: PushConfig,
      inject: [PUSHGATE_OPTIONS],
      useFactory: (options: PushgateOptions) => loadConfig(options),
    },
    ReservedNamesCheck,
  ],
  exports: [PushConfig, BIND_GUARD, PushModule],
})
export class PushgateModule extends PushgateConfigurableModule {}
