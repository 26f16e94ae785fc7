import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { PushLogger } from './common/push-logger.js';
import { ConfigError } from './config/config.error.js';
import { loadConfig } from './config/load-config.js';
import { startPushgate } from './start-pushgate.js';

try {
  // Read once up front: a bad setting is reported before Nest starts, and the log level is known.
  const { logLevel, logFormat } = loadConfig();
  const app = await NestFactory.create(AppModule, {
    logger: new PushLogger(logLevel, logFormat),
  });
  await startPushgate(app);
  // Exit with 0 once closed; by default Nest re-raises the signal, which exits with 128 + n.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
} catch (error) {
  // The failures an operator causes (a bad setting, a port in use) deserve one clear line.
  const expected =
    error instanceof ConfigError ||
    (error as NodeJS.ErrnoException).syscall === 'listen';
  console.error(
    expected ? `Pushgate cannot start: ${(error as Error).message}` : error,
  );
  process.exit(1);
}
