import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PushLogger } from '../../src/common/push-logger.js';
import { loadConfig } from '../../src/config/load-config.js';
import { PushgateModule } from '../../src/pushgate.module.js';
import { LineClient } from './line-client.js';
import {
  type PushgateAddresses,
  startPushgate,
} from '../../src/start-pushgate.js';

export interface TestServer extends PushgateAddresses {
  app: INestApplication;
  wsUrl: string;
  textPort: number;
  close(): Promise<void>;
}

/**
 * Boots Pushgate in this process on free loopback ports, through `PushgateModule` as an
 * embedding application would. `env` holds settings as the environment variables that set them,
 * so tests also go through the configuration path of `npm start`.
 */
export async function startServer(
  env: Record<string, string> = {},
): Promise<TestServer> {
  const config = loadConfig(
    {},
    {
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
      // Not 'warn': without a token check, every server warns that any client can bind any uid.
      LOG_LEVEL: 'error',
      ...env,
    },
  );
  const app = await NestFactory.create(PushgateModule.forRoot(config), {
    logger: new PushLogger(config.logLevel),
  });
  const addresses = await startPushgate(app);
  return {
    app,
    ...addresses,
    wsUrl: `ws://127.0.0.1:${addresses.ws.port}`,
    textPort: addresses.text.port,
    close: () => app.close(),
  };
}

/**
 * A server and a backend connected to its text port, as most delivery specs need; `cleanup`
 * (see `useCleanup`) closes both after the test.
 */
export async function startWithBackend(
  cleanup: Array<() => unknown>,
  env: Record<string, string> = {},
): Promise<TestServer & { backend: LineClient }> {
  const started = await startServer(env);
  const backend = await LineClient.connect(started.textPort);
  cleanup.push(
    () => started.close(),
    () => backend.socket.destroy(),
  );
  return { ...started, backend };
}
