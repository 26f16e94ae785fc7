import { afterEach, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import {
  clusterEnv,
  deleteKeys,
  isReady,
  keysOf,
  startNode,
  startNodes,
  type TestNode,
} from './support/cluster.js';
import { LineClient } from './support/line-client.js';
import {
  describeWithRedis,
  describeWithRedisServer,
  PrivateRedis,
  SHARED_REDIS_URL,
} from './support/redis.js';
import { ServerProcess } from './support/server-process.js';
import { WsClient } from './support/ws-client.js';

const TTL_MS = 1500;

/** Whatever a test started, ended after it whatever happened. */
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  // Every step runs, whatever an earlier one threw: a Redis or a node left running outlives the test.
  const results = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    results.push(
      await Promise.resolve()
        .then(cleanup)
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
    );
  }
  const failure = results.find((error) => error !== undefined);
  if (failure !== undefined) {
    throw failure;
  }
});

function track<T extends { close(): unknown } | WsClient>(thing: T): T {
  cleanups.push(() =>
    thing instanceof WsClient ? thing.socket.terminate() : thing.close(),
  );
  return thing;
}

/** A node as a child process (`node dist/main.js`), with a PushClient on its text port. */
async function processNode(id: string, env: Record<string, string>) {
  const server = ServerProcess.start({
    PUSH_WS_HOST: '127.0.0.1',
    PUSH_WS_PORT: '0',
    PUSH_TEXT_PORT: '0',
    PUSH_NODE_ID: id,
    ...env,
  });
  cleanups.push(() => server.kill());
  const ws = await server.waitFor(/WebSocket +ws:\/\/127\.0\.0\.1:(\d+)$/);
  const text = await server.waitFor(/Text +tcp:\/\/127\.0\.0\.1:(\d+)$/);
  const push = track(new PushClient({ port: Number(text[1]) }));
  return { server, wsUrl: `ws://127.0.0.1:${ws[1]}`, push };
}

describeWithRedis('cluster mode: a node that dies', () => {
  it('stops counting within PUSH_NODE_TTL_MS of a SIGKILL, and its entries are removed', async () => {
    const env: Record<string, string> = {
      ...clusterEnv(),
      PUSH_NODE_TTL_MS: String(TTL_MS),
    };
    // Run last: node a is killed too, so nothing else removes what it holds.
    cleanups.push(() =>
      deleteKeys(SHARED_REDIS_URL, env['PUSH_REDIS_PREFIX']!),
    );
    const a = await processNode('a', env);
    const b = await processNode('b', env);
    track(await WsClient.bound(a.wsUrl, 'on a'));
    track(await WsClient.bound(b.wsUrl, 'on b'));
    track(await WsClient.bound(b.wsUrl, 'on b'));
    expect(await a.push.getAllClientCount()).toBe(3);
    expect(await a.push.isUidOnline('on b')).toBe(true);

    b.server.kill();
    const killedAt = Date.now();
    await expect
      .poll(() => a.push.getAllClientCount(), {
        timeout: TTL_MS + 1000,
        interval: 50,
      })
      .toBe(1);
    // Deadlines are renewed every TTL/3; the last one before the kill lapses at most TTL after it.
    expect(Date.now() - killedAt).toBeLessThan(TTL_MS + 300);
    expect(await a.push.isUidOnline('on b')).toBe(false);
    expect(await a.push.getAllUidList()).toEqual(['on a']);

    // Node a removes everything b held at its next renewal after b's deadline.
    const prefix = env['PUSH_REDIS_PREFIX']!;
    await expect
      .poll(async () => (await keysOf(SHARED_REDIS_URL, prefix)).join(' '), {
        timeout: TTL_MS,
        interval: 50,
      })
      .not.toMatch(/\{b\}|uid:on b/);
    expect(await keysOf(SHARED_REDIS_URL, prefix)).toContain(
      `${prefix}:uid:on a`,
    );
  });

  it('keeps a second process with the same node id out until the first one is gone', async () => {
    const env = { ...clusterEnv(), PUSH_NODE_TTL_MS: String(TTL_MS) };
    const first = track(await startNode('same', env));
    const second = track(await startNode('same', env));
    expect(await isReady(first)).toBe(true);
    expect(await isReady(second)).toBe(false);
    const body = await (
      await fetch(`http://127.0.0.1:${second.ws.port}/health/ready`)
    ).text();
    expect(body).toContain('held by another live node');

    track(await WsClient.bound(first.wsUrl, 'u'));
    await first.close();
    await expect.poll(() => isReady(second), { timeout: TTL_MS }).toBe(true);
    const tab = track(await WsClient.bound(second.wsUrl, 'v'));
    expect(tab.clientId).toMatch(/^same\./);
    expect(await second.push.getAllUidList()).toEqual(['v']);
  });
});

describeWithRedisServer('cluster mode: Redis goes away and comes back', () => {
  it('keeps local delivery going, fails cross-node operations with cluster_unavailable, and recovers by itself', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const apiKey = 'an api key, long enough';
    const env = { ...clusterEnv(redis.url), PUSH_API_KEY: apiKey };
    const nodes: TestNode[] = await startNodes(['a', 'b'], env);
    nodes.forEach(track);
    const [a, b] = nodes as [TestNode, TestNode];
    const onA = track(await WsClient.bound(a.wsUrl, 'on a'));
    const onB = track(await WsClient.bound(b.wsUrl, 'on b'));
    expect(await a.push.sendToUid('on b', 'before')).toBe(1);
    expect(await onB.next()).toBe('before');

    // A backend pushing to a browser on its own node, every 10 ms, all through the outage.
    const backend = await LineClient.connect(a.textPort);
    cleanups.push(() => backend.destroy());
    let sent = 0;
    const stream = setInterval(
      () =>
        void backend.send({ type: 'sendToUid', uid: 'on a', message: ++sent }),
      10,
    );
    cleanups.push(() => clearInterval(stream));

    await redis.stop();
    await expect.poll(() => isReady(a)).toBe(false);
    expect(await isReady(b)).toBe(false);

    const failure = { code: 'cluster_unavailable' };
    await expect(a.push.sendToUid('on b', 'lost')).rejects.toMatchObject(
      failure,
    );
    await expect(a.push.isUidOnline('on b')).rejects.toMatchObject(failure);
    await expect(a.push.getAllClientCount()).rejects.toMatchObject(failure);
    await expect(a.push.bindUid(onB.clientId, 'x')).rejects.toMatchObject(
      failure,
    );
    const http = await fetch(`http://127.0.0.1:${a.ws.port}/api/push`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ type: 'sendToUid', uid: 'on b', message: 'lost' }),
    });
    expect(http.status).toBe(503);
    expect((await http.json()).error.code).toBe('cluster_unavailable');

    // What concerns this node alone still works: its own connections, and new ones.
    expect(await a.push.isUidOnline('on a')).toBe(true);
    expect(await a.push.sendToClient(onA.clientId, 'local')).toBe(1);
    const late = track(await WsClient.bound(a.wsUrl, 'late'));
    expect(await a.push.sendToClient(late.clientId, 'hello late')).toBe(1);
    expect(await late.next()).toBe('hello late');
    // A node started now starts, serves, and waits for Redis.
    const c = track(await startNode('c', env));
    expect(await isReady(c)).toBe(false);

    await redis.start();
    await expect
      .poll(
        async () =>
          (await Promise.all([a, b, c].map((node) => isReady(node)))).every(
            Boolean,
          ),
        { timeout: 5000 },
      )
      .toBe(true);
    clearInterval(stream);

    // Cross-node delivery is back, and every node announced what it holds again.
    expect(await b.push.sendToUid(['on a', 'late'], 'after')).toBe(2);
    expect(await late.next()).toBe('after');
    for (const node of [a, b, c]) {
      expect((await node.push.getAllUidList()).sort()).toEqual([
        'late',
        'on a',
        'on b',
      ]);
    }
    expect(await a.push.sendToUid('on b', 'marker')).toBe(1);
    expect(await onB.next()).toBe('marker'); // nothing from the outage came late

    // Local delivery never stopped: every line of the stream arrived, in order.
    await expect
      .poll(
        () => onA.messages.pending.filter((m) => typeof m === 'number').length,
      )
      .toBe(sent);
    const numbers = onA.messages.pending.filter((m) => typeof m === 'number');
    expect(numbers).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(sent).toBeGreaterThan(10);
  });
});
