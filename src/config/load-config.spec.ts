import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.error.js';
import { loadConfig } from './load-config.js';
import { PushConfig } from './push-config.js';

describe('loadConfig', () => {
  it('uses the defaults when nothing is set', () => {
    expect(loadConfig({}, {})).toEqual(new PushConfig());
    expect(loadConfig({}, {})).toMatchObject({
      wsHost: '0.0.0.0',
      wsPort: 7272,
      textHost: '127.0.0.1',
      textPort: 8806,
      pingIntervalMs: 25_000,
      pingLimit: 2,
      maxLineBytes: 65_536,
      maxFrameBytes: 65_536,
      logLevel: 'log',
    });
  });

  it('reads every setting from its variable', () => {
    const config = loadConfig(
      {},
      {
        PUSH_WS_HOST: '::',
        PUSH_WS_PORT: '0',
        PUSH_TEXT_HOST: 'localhost',
        PUSH_TEXT_PORT: '9000',
        PUSH_PING_INTERVAL_MS: '1000',
        PUSH_PING_LIMIT: '0',
        PUSH_MAX_LINE_BYTES: '1024',
        PUSH_MAX_FRAME_BYTES: '2048',
        PUSH_MAX_REPLY_BACKLOG_BYTES: '4096',
        PUSH_WEBHOOK_URL: 'https://backend.example/pushgate',
        PUSH_WEBHOOK_SECRET: 'a secret of 16+ chars',
        PUSH_WEBHOOK_BATCH_MS: '50',
        PUSH_WEBHOOK_MAX_QUEUE: '100',
        PUSH_WEBHOOK_MAX_ATTEMPTS: '3',
        PUSH_API_KEY: 'an api key, long enough',
        PUSH_METRICS_PORT: '9100',
        PUSH_DEMO_PAGE: 'false',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
      },
    );
    expect(config).toEqual(
      Object.assign(new PushConfig(), {
        wsHost: '::',
        wsPort: 0,
        textHost: 'localhost',
        textPort: 9000,
        pingIntervalMs: 1000,
        pingLimit: 0,
        maxLineBytes: 1024,
        maxFrameBytes: 2048,
        maxReplyBacklogBytes: 4096,
        webhookUrl: 'https://backend.example/pushgate',
        webhookSecret: 'a secret of 16+ chars',
        webhookBatchMs: 50,
        webhookMaxQueue: 100,
        webhookMaxAttempts: 3,
        apiKey: 'an api key, long enough',
        metricsPort: 9100,
        demoPage: false,
        logFormat: 'json',
        logLevel: 'debug',
      }),
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({}, { PUSH_WS_PORT: '' }).wsPort).toBe(7272);
  });

  it.each([
    ['PUSH_WS_PORT', '70000'],
    ['PUSH_WS_PORT', '-1'],
    ['PUSH_TEXT_PORT', '88o6'],
    ['PUSH_TEXT_PORT', '1e3'],
    ['PUSH_PING_INTERVAL_MS', '2.5'],
    ['PUSH_PING_INTERVAL_MS', '5'],
    ['PUSH_MAX_LINE_BYTES', ' 1024'],
    ['LOG_LEVEL', 'loud'],
    ['PUSH_DEMO_PAGE', 'yes'],
    ['PUSH_API_KEY', 'short'],
    ['PUSH_METRICS_PORT', 'ninety'],
    ['LOG_FORMAT', 'xml'],
  ])('refuses %s=%s with an error naming the variable', (name, value) => {
    expect(() => loadConfig({}, { [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({}, { [name]: value })).toThrow(
      `${name}="${value}"`,
    );
  });

  it('lists every invalid variable at once', () => {
    try {
      loadConfig({}, { PUSH_WS_PORT: 'x', PUSH_PING_LIMIT: 'y' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'PUSH_WS_PORT="x" must be an integer from 0 to 65535',
        'PUSH_PING_LIMIT="y" must be an integer from 0 to 1000',
      ]);
    }
  });

  it('takes a setting given in code over its variable', () => {
    const config = loadConfig(
      { wsPort: 9000 },
      { PUSH_WS_PORT: '1', PUSH_TEXT_PORT: '2' },
    );
    expect(config.wsPort).toBe(9000);
    expect(config.textPort).toBe(2);
  });

  it('names a bad setting given in code by its option name', () => {
    expect(() => loadConfig({ pingLimit: -1 }, {})).toThrow(
      'pingLimit=-1 must be an integer from 0 to 1000',
    );
  });

  it('requires a webhook secret of 16 characters with a webhook URL', () => {
    expect(() =>
      loadConfig({}, { PUSH_WEBHOOK_URL: 'https://example.test/hook' }),
    ).toThrow(
      'PUSH_WEBHOOK_SECRET must be at least 16 characters when PUSH_WEBHOOK_URL is set',
    );
    expect(() =>
      loadConfig(
        {},
        { PUSH_WEBHOOK_URL: 'ftp://x', PUSH_WEBHOOK_SECRET: 'x'.repeat(16) },
      ),
    ).toThrow('PUSH_WEBHOOK_URL="ftp://x" must be an http:// or https:// URL');
    expect(
      loadConfig(
        {},
        {
          PUSH_WEBHOOK_URL: 'http://127.0.0.1:8080/hook',
          PUSH_WEBHOOK_SECRET: 's'.repeat(16),
        },
      ).webhookUrl,
    ).toBe('http://127.0.0.1:8080/hook');
  });
});
