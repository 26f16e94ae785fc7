import { type INestApplication, Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { PushConfig } from './config/push-config.js';
import { PushWsAdapter } from './gateway/push-ws.adapter.js';
import { TextTransport } from './push/transport/text.transport.js';

export interface PushgateAddresses {
  /** Where the WebSocket (and the application's HTTP routes) listen. */
  ws: AddressInfo;
  /** Where the text port listens. */
  text: AddressInfo;
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
  app.useWebSocketAdapter(new PushWsAdapter(app, config.maxFrameBytes));
  const transport = app.get(TextTransport);
  app.connectMicroservice({ strategy: transport });
  try {
    await app.startAllMicroservices();
    await app.listen(config.wsPort, config.wsHost);
  } catch (error) {
    await app.close();
    throw error;
  }
  const ws = app.getHttpServer().address() as AddressInfo;
  const text = transport.address();
  const logger = new Logger('Pushgate');
  logger.log(`WebSocket  ws://${hostPort(ws)}`);
  logger.log(`Text       tcp://${hostPort(text)}`);
  return { ws, text };
}

function hostPort({ address, family, port }: AddressInfo): string {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}
