import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsServer } from './metrics.server.js';
import { PushMetrics } from './push-metrics.service.js';

@Module({
  imports: [RegistryModule],
  controllers: [MetricsController],
  providers: [PushMetrics, MetricsServer],
  exports: [PushMetrics, MetricsServer],
})
export class MetricsModule {}
