import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { ReadinessService } from './readiness.service.js';

/** Probes for an orchestrator: `live` while the process serves HTTP, `ready` while it should get traffic. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessService,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('pushgate');
        const { problem } = this.readiness;
        return problem === undefined
          ? indicator.up()
          : indicator.down({ reason: problem });
      },
    ]);
  }
}
