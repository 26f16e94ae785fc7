import { applyDecorators, type LogLevel } from '@nestjs/common';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'log',
  'debug',
  'verbose',
] as const satisfies readonly LogLevel[];

const MIB = 1024 * 1024;

const API_KEY_RULE = 'must be at least 16 characters when set';

const WEBHOOK_SECRET_RULE =
  'must be at least 16 characters when PUSH_WEBHOOK_URL is set';

/**
 * Every setting of a Pushgate server, with its default. This class is the only place defaults
 * live; `CONFIG_ENV` names the environment variable that sets each one, and `.env.example`
 * documents them. An application that embeds Pushgate can give any of them in code instead.
 */
export class PushConfig {
  /** Address the WebSocket listener binds. */
  @IsHost()
  wsHost = '0.0.0.0';

  /** Port of the WebSocket listener; 0 picks a free port. */
  @IntRange(0, 65535)
  wsPort = 7272;

  /** Address the text (backend) port binds. Keep it private: anyone who reaches it can push. */
  @IsHost()
  textHost = '127.0.0.1';

  /** Port of the text protocol; 0 picks a free port. */
  @IntRange(0, 65535)
  textPort = 8806;

  /** Milliseconds between two `{"type":"ping"}` sweeps over all WebSockets. */
  @IntRange(10, 3_600_000)
  pingIntervalMs = 25_000;

  /** Unanswered pings after which a silent WebSocket is closed; 0 never closes for silence. */
  @IntRange(0, 1000)
  pingLimit = 2;

  /** Longest text-port line, in bytes, without its newline. */
  @IntRange(256, 64 * MIB)
  maxLineBytes = 65_536;

  /** Largest WebSocket message a client may send, in bytes; a larger one closes it with 1009. */
  @IntRange(256, 64 * MIB)
  maxFrameBytes = 65_536;

  /** Unsent bytes a WebSocket may pile up (a client that stops reading) before it is closed with 1013. */
  @IntRange(1024, 1024 * MIB)
  maxBufferedBytes = MIB;

  /** Unread reply bytes a text connection may accumulate before the server closes it. */
  @IntRange(1024, 1024 * MIB)
  maxReplyBacklogBytes = MIB;

  /** Where lifecycle events are POSTed, batched; empty: no webhooks. */
  @ValidateIf((config: PushConfig) => config.webhookUrl !== '')
  @IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
    },
    { message: 'must be an http:// or https:// URL' },
  )
  webhookUrl = '';

  /** Key of the HMAC-SHA256 signature of every webhook; required with a webhook URL. */
  @ValidateIf((config: PushConfig) => config.webhookUrl !== '')
  @IsString({ message: WEBHOOK_SECRET_RULE })
  @MinLength(16, { message: WEBHOOK_SECRET_RULE })
  webhookSecret = '';

  /** Milliseconds events wait to be sent together. */
  @IntRange(0, 60_000)
  webhookBatchMs = 500;

  /** Events waiting for the webhook; beyond, the oldest are dropped (and counted in the log). */
  @IntRange(1, 1_000_000)
  webhookMaxQueue = 10_000;

  /** Tries per batch before it is dropped, with backoff between them. */
  @IntRange(1, 100)
  webhookMaxAttempts = 5;

  /** Bearer key of the HTTP API (`POST /api/push`, `/api/commands`); empty: the API is off (404). */
  @ValidateIf((config: PushConfig) => config.apiKey !== '')
  @IsString({ message: API_KEY_RULE })
  @MinLength(16, { message: API_KEY_RULE })
  apiKey = '';

  /** A separate port for `GET /metrics`, on `wsHost`; null: metrics are on the WebSocket port. */
  @ValidateIf((config: PushConfig) => config.metricsPort !== null)
  @IntRange(0, 65535)
  metricsPort: number | null = null;

  /** Whether `GET /` serves the demo page. */
  @IsBoolean({ message: 'must be true or false' })
  demoPage = true;

  /** `text`, readable, or `json`, one object per line for log collectors. */
  @IsIn(['text', 'json'], { message: 'must be text or json' })
  logFormat: 'text' | 'json' = 'text';

  /** Most verbose log level written: fatal, error, warn, log, debug or verbose. */
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  logLevel: LogLevel = 'log';
}

/** The environment variable behind each setting. */
export const CONFIG_ENV: { readonly [K in keyof PushConfig]: string } = {
  wsHost: 'PUSH_WS_HOST',
  wsPort: 'PUSH_WS_PORT',
  textHost: 'PUSH_TEXT_HOST',
  textPort: 'PUSH_TEXT_PORT',
  pingIntervalMs: 'PUSH_PING_INTERVAL_MS',
  pingLimit: 'PUSH_PING_LIMIT',
  maxLineBytes: 'PUSH_MAX_LINE_BYTES',
  maxFrameBytes: 'PUSH_MAX_FRAME_BYTES',
  maxBufferedBytes: 'PUSH_MAX_BUFFERED_BYTES',
  maxReplyBacklogBytes: 'PUSH_MAX_REPLY_BACKLOG_BYTES',
  webhookUrl: 'PUSH_WEBHOOK_URL',
  webhookSecret: 'PUSH_WEBHOOK_SECRET',
  webhookBatchMs: 'PUSH_WEBHOOK_BATCH_MS',
  webhookMaxQueue: 'PUSH_WEBHOOK_MAX_QUEUE',
  webhookMaxAttempts: 'PUSH_WEBHOOK_MAX_ATTEMPTS',
  apiKey: 'PUSH_API_KEY',
  metricsPort: 'PUSH_METRICS_PORT',
  demoPage: 'PUSH_DEMO_PAGE',
  logFormat: 'LOG_FORMAT',
  logLevel: 'LOG_LEVEL',
};

/** Settings given in code (`PushgateModule.forRoot`); each one not given comes from its variable. */
export type PushgateOptions = Partial<PushConfig>;

function IntRange(min: number, max: number): PropertyDecorator {
  const message = `must be an integer from ${min} to ${max}`;
  return applyDecorators(
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

function IsHost(): PropertyDecorator {
  const message = 'must be a host name or an IP address';
  return applyDecorators(IsString({ message }), IsNotEmpty({ message }));
}
