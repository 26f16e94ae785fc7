import { bootstrap } from './bootstrap.js';
import { ConfigError } from './config/config.error.js';
import { loadConfig } from './config/load-config.js';

try {
  const { app } = await bootstrap(loadConfig());
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
