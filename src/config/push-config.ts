import { applyDecorators, type LogLevel } from '@nestjs/common';
import {
  IsBoolean,
  IsEmpty,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUrl,
  Matches,
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

const TEXT_SECRET_RULE =
  'must be at least 16 characters; it is required when PUSH_TEXT_HOST is not a loopback address';

const NODE_ID_RULE = 'must be 1 to 40 letters, digits, _ or -';

const REDIS_PREFIX_RULE = 'must be 1 to 64 letters, digits, _, -, . or :';

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

  /**
   * Secret a text connection must send first (`{"type":"auth","secret":...}`); required when
   * `textHost` is not a loopback address.
   */
  @ValidateIf(
    (config: PushConfig) =>
      config.textSecret !== '' || !isLoopback(config.textHost),
  )
  @IsString({ message: TEXT_SECRET_RULE })
  @MinLength(16, { message: TEXT_SECRET_RULE })
  textSecret = '';

  /** PEM certificate file of the text port, for TLS; with `textTlsKey`. */
  @ValidateIf((config: PushConfig) => config.textTlsKey !== '')
  @IsNotEmpty({ message: 'must be set with PUSH_TEXT_TLS_KEY' })
  textTlsCert = '';

  /** PEM private key file of the text port, for TLS; with `textTlsCert`. */
  @ValidateIf((config: PushConfig) => config.textTlsCert !== '')
  @IsNotEmpty({ message: 'must be set with PUSH_TEXT_TLS_CERT' })
  textTlsKey = '';

  /**
   * HS256 key of the tokens browsers bind with. Set it (or `jwtPublicKey`) and `init` must carry a
   * token whose `sub` is the uid.
   */
  @ValidateIf((config: PushConfig) => config.jwtSecret !== '')
  @MinLength(32, {
    message: 'must be at least 32 characters (256 bits for HS256)',
  })
  jwtSecret = '';

  /** PEM public key (the text, or a file holding it) checking RS256 and ES256 tokens instead. */
  @ValidateIf(
    (config: PushConfig) =>
      config.jwtSecret !== '' && config.jwtPublicKey !== '',
  )
  @IsEmpty({ message: 'cannot be set with PUSH_JWT_SECRET: choose one' })
  jwtPublicKey = '';

  /** Origins (comma-separated) whose pages may open a WebSocket; empty: any. */
  @IsString()
  allowedOrigins = '';

  /** WebSocket connections the server takes; beyond, upgrades get 503. */
  @IntRange(1, 10_000_000)
  maxConnections = 100_000;

  /** WebSocket connections one remote address may hold; beyond, upgrades get 503. 0: no limit. */
  @IntRange(0, 10_000_000)
  maxConnectionsPerIp = 1000;

  /** Messages per second a browser may send, on average; beyond, it is warned, then closed (1008). */
  @IntRange(1, 100_000)
  maxMessagesPerSecond = 20;

  /** Messages a browser may send in a burst above that rate. */
  @IntRange(1, 100_000)
  maxMessagesBurst = 50;

  /** `init`s per minute one connection may send (re-binding storms); beyond, `rate_limited`. */
  @IntRange(1, 100_000)
  maxInitsPerMinute = 30;

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

  /**
   * Milliseconds a push to a uid is kept: for the first connection to bind the uid when it had
   * none, and for connections that recover what they missed. 0: nothing is kept.
   */
  @IntRange(0, 86_400_000)
  bufferTtlMs = 60_000;

  /** Pushes kept per uid; beyond, the oldest is dropped. */
  @IntRange(1, 10_000)
  bufferMaxPerUid = 100;

  /** Bytes all kept pushes may take together; beyond, the oldest are dropped. */
  @IntRange(1024, 64 * 1024 * MIB)
  bufferMaxBytes = 64 * MIB;

  /** Milliseconds a send with `"ack":true` waits for the browsers' acknowledgements, unless it says. */
  @IntRange(1, 600_000)
  ackTimeoutMs = 5000;

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

  /**
   * Cluster mode: the Redis that the nodes of one Pushgate cluster share (`redis://[user:password@]host:port[/db]`,
   * or `rediss://` for TLS). Empty: a single node, in memory, without Redis.
   */
  @ValidateIf((config: PushConfig) => config.redisUrl !== '')
  @Matches(/^rediss?:\/\/\S+$/, {
    message: 'must be a redis:// or rediss:// URL',
  })
  redisUrl = '';

  /**
   * Prefix of every Redis key and channel of the cluster, so that several clusters can share one
   * Redis. Only with `redisUrl`.
   */
  @Matches(/^[\w.:-]{1,64}$/, { message: REDIS_PREFIX_RULE })
  redisPrefix = 'pushgate';

  /** This node's name in the cluster, the prefix of its client ids; empty: a random one per start. */
  @ValidateIf((config: PushConfig) => config.nodeId !== '')
  @Matches(/^[\w-]{1,40}$/, { message: NODE_ID_RULE })
  nodeId = '';

  /**
   * Milliseconds a node that stopped renewing its presence in Redis (killed, frozen, cut off) still
   * counts as holding its connections; the other nodes then remove its entries. It renews every third.
   */
  @IntRange(1000, 600_000)
  nodeTtlMs = 15_000;

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
  textSecret: 'PUSH_TEXT_SECRET',
  textTlsCert: 'PUSH_TEXT_TLS_CERT',
  textTlsKey: 'PUSH_TEXT_TLS_KEY',
  jwtSecret: 'PUSH_JWT_SECRET',
  jwtPublicKey: 'PUSH_JWT_PUBLIC_KEY',
  allowedOrigins: 'PUSH_ALLOWED_ORIGINS',
  maxConnections: 'PUSH_MAX_CONNECTIONS',
  maxConnectionsPerIp: 'PUSH_MAX_CONNECTIONS_PER_IP',
  maxMessagesPerSecond: 'PUSH_MAX_MESSAGES_PER_SEC',
  maxMessagesBurst: 'PUSH_MAX_MESSAGES_BURST',
  maxInitsPerMinute: 'PUSH_MAX_INITS_PER_MIN',
  pingIntervalMs: 'PUSH_PING_INTERVAL_MS',
  pingLimit: 'PUSH_PING_LIMIT',
  maxLineBytes: 'PUSH_MAX_LINE_BYTES',
  maxFrameBytes: 'PUSH_MAX_FRAME_BYTES',
  maxBufferedBytes: 'PUSH_MAX_BUFFERED_BYTES',
  maxReplyBacklogBytes: 'PUSH_MAX_REPLY_BACKLOG_BYTES',
  bufferTtlMs: 'PUSH_BUFFER_TTL_MS',
  bufferMaxPerUid: 'PUSH_BUFFER_MAX_PER_UID',
  bufferMaxBytes: 'PUSH_BUFFER_MAX_BYTES',
  ackTimeoutMs: 'PUSH_ACK_TIMEOUT_MS',
  webhookUrl: 'PUSH_WEBHOOK_URL',
  webhookSecret: 'PUSH_WEBHOOK_SECRET',
  webhookBatchMs: 'PUSH_WEBHOOK_BATCH_MS',
  webhookMaxQueue: 'PUSH_WEBHOOK_MAX_QUEUE',
  webhookMaxAttempts: 'PUSH_WEBHOOK_MAX_ATTEMPTS',
  apiKey: 'PUSH_API_KEY',
  metricsPort: 'PUSH_METRICS_PORT',
  redisUrl: 'PUSH_REDIS_URL',
  redisPrefix: 'PUSH_REDIS_PREFIX',
  nodeId: 'PUSH_NODE_ID',
  nodeTtlMs: 'PUSH_NODE_TTL_MS',
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

/** Whether a host name or address is this machine's own loopback, which nothing else can reach. */
export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
  );
}

function IsHost(): PropertyDecorator {
  const message = 'must be a host name or an IP address';
  return applyDecorators(IsString({ message }), IsNotEmpty({ message }));
}
