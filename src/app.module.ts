import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import type { PushConfig } from './config/push-config.js';
import { GatewayModule } from './gateway/gateway.module.js';
import { PushModule } from './push/push.module.js';
import { RegistryModule } from './registry/registry.module.js';

@Module({})
export class AppModule {
  static forRoot(config: PushConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        RegistryModule,
        GatewayModule,
        PushModule,
      ],
    };
  }
}
