import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

describe('loadConfig, cluster settings', () => {
  it('is a single node without Redis by default', () => {
    expect(loadConfig({}, {})).toMatchObject({
      redisUrl: '',
      redisPrefix: 'pushgate',
      nodeId: '',
      nodeTtlMs: 15_000,
    });
  });

  it('reads the cluster settings from their variables', () => {
    expect(
      loadConfig(
        {},
        {
          PUSH_REDIS_URL: 'rediss://user:secret@redis.internal:6380/2',
          PUSH_REDIS_PREFIX: 'push:eu-1',
          PUSH_NODE_ID: 'push-a_1',
          PUSH_NODE_TTL_MS: '5000',
        },
      ),
    ).toMatchObject({
      redisUrl: 'rediss://user:secret@redis.internal:6380/2',
      redisPrefix: 'push:eu-1',
      nodeId: 'push-a_1',
      nodeTtlMs: 5000,
    });
  });

  it.each([
    ['PUSH_REDIS_URL', 'http://127.0.0.1:6379'],
    ['PUSH_REDIS_URL', '127.0.0.1:6379'],
    ['PUSH_REDIS_PREFIX', 'with space'],
    ['PUSH_REDIS_PREFIX', '{tag}'],
    ['PUSH_NODE_ID', 'a.b'],
    ['PUSH_NODE_ID', 'x'.repeat(41)],
    ['PUSH_NODE_TTL_MS', '999'],
    ['PUSH_NODE_TTL_MS', 'soon'],
  ])('refuses %s=%s with an error naming the variable', (name, value) => {
    expect(() => loadConfig({}, { [name]: value })).toThrow(
      `${name}="${value}"`,
    );
  });
});
