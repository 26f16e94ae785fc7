import type { FactoryProvider } from '@nestjs/common';
import { PushConfig } from '../config/push-config.js';
import { PushEvents } from '../events/push-events.service.js';
import { ReadinessService } from '../health/readiness.service.js';
import { AckTracker } from '../history/ack-tracker.service.js';
import { UidHistory } from '../history/uid-history.service.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { PushService } from '../push/push.service.js';
import { UidRegistry } from '../registry/uid-registry.service.js';

/**
 * Which `PushService` the application gets: the single node's, in memory, unless `PUSH_REDIS_URL`
 * makes this node part of a cluster; then `ClusterPushService`, the same API for every node.
 * Everything that pushes (the text port, HTTP, an embedding application) injects `PushService`
 * and works either way.
 */
export const pushServiceProvider: FactoryProvider<PushService> = {
  provide: PushService,
  inject: [
    PushConfig,
    UidRegistry,
    PushEvents,
    PushMetrics,
    UidHistory,
    AckTracker,
    ReadinessService,
  ],
  async useFactory(
    config: PushConfig,
    registry: UidRegistry,
    events: PushEvents,
    metrics: PushMetrics,
    history: UidHistory,
    acks: AckTracker,
    readiness: ReadinessService,
  ): Promise<PushService> {
    if (config.redisUrl === '') {
      return new PushService(registry, events, metrics, history, acks);
    }
    // Loaded only in cluster mode: a single node does not even load the Redis client.
    const { ClusterPushService } = await import('./cluster-push.service.js');
    return new ClusterPushService(
      registry,
      events,
      metrics,
      history,
      acks,
      config,
      readiness,
    );
  },
};
