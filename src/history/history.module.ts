import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { AckTracker } from './ack-tracker.service.js';
import { UidHistory } from './uid-history.service.js';

@Module({
  imports: [MetricsModule],
  providers: [UidHistory, AckTracker],
  exports: [UidHistory, AckTracker],
})
export class HistoryModule {}
