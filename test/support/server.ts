import { bootstrap, type RunningServer } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';

export interface TestServer extends RunningServer {
  wsUrl: string;
  textPort: number;
  close(): Promise<void>;
}

/**
 * Boots the real application in this process on free loopback ports. `env` holds settings as the
 * environment variables that set them, so tests go through the same configuration path as
 * `npm start`.
 */
export async function startServer(
  env: Record<string, string> = {},
): Promise<TestServer> {
  const running = await bootstrap(
    loadConfig({
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
  return {
    ...running,
    wsUrl: `ws://127.0.0.1:${running.ws.port}`,
    textPort: running.text.port,
    close: () => running.app.close(),
  };
}
