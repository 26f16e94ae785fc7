import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PushConfig } from '../config/push-config.js';
import { PushMetrics } from './push-metrics.service.js';

/** `GET /metrics` in Prometheus's text format, unless `PUSH_METRICS_PORT` moves it to its own port. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: PushMetrics,
    private readonly config: PushConfig,
  ) {}

  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    if (this.config.metricsPort !== null) {
      throw new NotFoundException();
    }
    response
      .type(this.metrics.registry.contentType)
      .send(await this.metrics.registry.metrics());
  }
}
