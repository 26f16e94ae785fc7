import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { LOG_LEVELS } from '../config/push-config.js';

/** Contexts of Nest's own start-up chatter, which the service table of listeners replaces. */
const FRAMEWORK_CONTEXTS: ReadonlySet<string> = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'WebSocketsController',
  'NestApplication',
  'NestMicroservice',
]);

/**
 * Nest's console logger, writing `level` and everything more severe, as readable text or as one
 * JSON object per line (`LOG_FORMAT=json`, for log collectors). Nest's routine start-up
 * lines are demoted to `debug`, so that at the default level start-up prints one line per
 * listener and nothing else.
 */
export class PushLogger extends ConsoleLogger {
  constructor(level: LogLevel, format: 'text' | 'json' = 'text') {
    super({
      logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1),
      json: format === 'json',
      // Colour codes help on a terminal and clutter a log file or the journal.
      colors: format === 'text' && Boolean(process.stdout.isTTY),
    });
  }

  override log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1) ?? this.context;
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
      super.debug(message, ...params);
    } else {
      super.log(message, ...params);
    }
  }
}
