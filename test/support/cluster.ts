import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { PushClient } from '../../src/sdk/node/push-client.js';
import { startServer, type TestServer } from './server.js';
import { SHARED_REDIS_URL } from './redis.js';

/** A node of a test cluster: the in-process server, and a PushClient on its text port. */
export interface TestNode extends TestServer {
  id: string;
  push: PushClient;
}

/**
 * Settings that make nodes members of one cluster of their own: a fresh key prefix, so that specs
 * running at the same time on the same Redis never see each other.
 */
export function clusterEnv(
  redisUrl = SHARED_REDIS_URL,
): Record<string, string> {
  return {
    PUSH_REDIS_URL: redisUrl,
    PUSH_REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}`,
  };
}

/** Starts one in-process node per id (`PUSH_NODE_ID`), all with `env`. */
export async function startNodes(
  ids: readonly string[],
  env: Record<string, string>,
): Promise<TestNode[]> {
  return Promise.all(ids.map((id) => startNode(id, env)));
}

export async function startNode(
  id: string,
  env: Record<string, string>,
): Promise<TestNode> {
  const server = await startServer({ ...env, PUSH_NODE_ID: id });
  const push = new PushClient({ port: server.textPort });
  return {
    ...server,
    id,
    push,
    close: async () => {
      await push.close();
      await server.close();
    },
  };
}

/** Whether a node says it is ready (`GET /health/ready`). */
export async function isReady(node: TestServer): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${node.ws.port}/health/ready`);
  return response.ok;
}

/** The keys of one test cluster (by its prefix), for checking what Redis holds. */
export async function keysOf(
  redisUrl: string,
  prefix: string,
): Promise<string[]> {
  const redis = new Redis(redisUrl);
  try {
    return (await redis.keys(`${prefix}:*`)).sort();
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key of one test cluster: for tests whose nodes die without leaving cleanly. */
export async function deleteKeys(
  redisUrl: string,
  prefix: string,
): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
