import { type DynamicModule, Global, Module } from '@nestjs/common';
import { PushConfig } from './push-config.js';

/** Provides the validated `PushConfig` to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PushConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: PushConfig, useValue: config }],
      exports: [PushConfig],
    };
  }
}
