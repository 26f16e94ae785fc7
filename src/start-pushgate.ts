import { type INestApplication, Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { apiBodyParser } from './api/api-body.parser.js';
import { PushConfig } from './config/push-config.js';
import { PushWsAdapter } from './gateway/push-ws.adapter.js';
import { ReadinessService } from './health/readiness.service.js';
import { MetricsServer } from './metrics/metrics.server.js';
import { TextTransport } from './push/transport/text.transport.js';

/** The API's bodies may be at least this large, whatever the line limit: a batch holds many commands. */
const API_BODY_MIN_BYTES = 1024 * 1024;

export interface PushgateAddresses {
  /** Where the WebSocket (and the application's HTTP routes) listen. */
  ws: AddressInfo;
  /** Where the text port listens. */
  text: AddressInfo;
  /** Where `GET /metrics` listens, when `PUSH_METRICS_PORT` gives it a port of its own. */
  metrics: AddressInfo | undefined;
}

/**
 * Starts Pushgate in an application that imports `PushgateModule`: the WebSocket adapter on the
 * application's HTTP server, listening on `PUSH_WS_HOST:PUSH_WS_PORT`, and the text transport on
 * `PUSH_TEXT_HOST:PUSH_TEXT_PORT`. Logs one line per listener. Call it instead of `app.listen`.
 */
export async function startPushgate(
  app: INestApplication,
): Promise<PushgateAddresses> {
  const config = app.get(PushConfig);
  // Ahead of the application's body parser, which `listen` sets up.
  app.use(
    ['/api/push', '/api/commands'],
    apiBodyParser(Math.max(config.maxLineBytes, API_BODY_MIN_BYTES)),
  );
  app.useWebSocketAdapter(new PushWsAdapter(app));
  const transport = app.get(TextTransport);
  // Only Pushgate's own: the application starts any microservice of its own itself, before or
  // after this, and a second start of one would fail.
  const textPort = app.connectMicroservice({ strategy: transport });
  try {
    await textPort.listen();
    await app.listen(config.wsPort, config.wsHost);
  } catch (error) {
    await app.close();
    throw error;
  }
  const ws = app.getHttpServer().address() as AddressInfo;
  const text = transport.address();
  const metrics = app.get(MetricsServer).address();
  const logger = new Logger('Pushgate');
  logger.log(`WebSocket  ws://${hostPort(ws)}`);
  const textScheme = config.textTlsCert === '' ? 'tcp' : 'tls';
  logger.log(`Text       ${textScheme}://${hostPort(text)}`);
  if (metrics !== undefined) {
    logger.log(`Metrics    http://${hostPort(metrics)}/metrics`);
  }
  app.get(ReadinessService).markStarted();
  return { ws, text, metrics };
}

function hostPort({ address, family, port }: AddressInfo): string {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}
