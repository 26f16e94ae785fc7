import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import { PushLogger } from './common/push-logger.js';
import type { PushConfig } from './config/push-config.js';
import { PushWsAdapter } from './gateway/push-ws.adapter.js';
import { TextTransport } from './push/transport/text.transport.js';

export interface RunningServer {
  app: INestApplication;
  /** Where the WebSocket listener is bound. */
  ws: AddressInfo;
  /** Where the text port is bound. */
  text: AddressInfo;
}

/** Starts both listeners and logs where they are. The caller owns `app` and closes it. */
export async function bootstrap(config: PushConfig): Promise<RunningServer> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    logger: new PushLogger(config.logLevel),
  });
  app.useWebSocketAdapter(new PushWsAdapter(app, config.maxFrameBytes));
  const transport = new TextTransport({
    host: config.textHost,
    port: config.textPort,
    maxLineBytes: config.maxLineBytes,
    maxReplyBacklogBytes: config.maxReplyBacklogBytes,
  });
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
  return { app, ws, text };
}

function hostPort({ address, family, port }: AddressInfo): string {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}
