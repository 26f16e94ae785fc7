import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PushConfig } from '../config/push-config.js';
import { PushMetrics } from './push-metrics.service.js';

/**
 * `GET /metrics` on a port of its own (`PUSH_METRICS_PORT`), for operators who keep metrics off
 * the public port. A bare HTTP server: one route, nothing else.
 */
@Injectable()
export class MetricsServer
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private server: Server | undefined;

  constructor(
    private readonly config: PushConfig,
    private readonly metrics: PushMetrics,
  ) {}

  /** Where it listens, when it does. */
  address(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, wsHost } = this.config;
    if (metricsPort === null) {
      return;
    }
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.metrics.registry.metrics().then(
        (text) =>
          response
            .writeHead(200, {
              'content-type': this.metrics.registry.contentType,
            })
            .end(text),
        () => response.writeHead(500).end(),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(metricsPort, wsHost, resolve);
    });
  }

  onApplicationShutdown(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }
}
