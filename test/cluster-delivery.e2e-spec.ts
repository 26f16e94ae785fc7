import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import {
  clusterEnv,
  keysOf,
  startNodes,
  type TestNode,
} from './support/cluster.js';
import { LineClient } from './support/line-client.js';
import { describeWithRedis, SHARED_REDIS_URL } from './support/redis.js';
import { type Json, WsClient } from './support/ws-client.js';

describeWithRedis(
  'cluster mode: the offline buffer, recovery and acknowledgements span the nodes',
  () => {
    let nodes: TestNode[] = [];
    let prefix = '';
    const tabs: WsClient[] = [];
    const backends: LineClient[] = [];

    async function cluster(
      env: Record<string, string> = {},
    ): Promise<TestNode[]> {
      const shared = clusterEnv();
      prefix = shared['PUSH_REDIS_PREFIX']!;
      nodes = await startNodes(['a', 'b'], { ...shared, ...env });
      return nodes;
    }

    async function backend(node: TestNode): Promise<LineClient> {
      const client = await LineClient.connect(node.textPort);
      backends.push(client);
      return client;
    }

    /** A browser on `node` that sends `init` with `fields`; resolves with it and its `init_ok`. */
    async function tab(
      node: TestNode,
      uid: string,
      fields: Json = {},
    ): Promise<[WsClient, Json]> {
      const client = await WsClient.connect(node.wsUrl);
      tabs.push(client);
      client.send({ type: 'init', task_id: uid, ...fields });
      const answer = await client.nextNonPing();
      expect(answer).toMatchObject({ type: 'init_ok', task_id: uid });
      client.clientId = answer.client_id;
      return [client, answer];
    }

    /** The next `count` messages that are not pings. */
    async function take(client: WsClient, count: number): Promise<Json[]> {
      const messages: Json[] = [];
      while (messages.length < count) {
        messages.push(await client.nextNonPing());
      }
      return messages;
    }

    afterEach(async () => {
      tabs.splice(0).forEach((client) => client.socket.terminate());
      backends.splice(0).forEach((client) => client.destroy());
      await Promise.all(nodes.map((node) => node.close()));
      nodes = [];
    });

    it('keeps a push nobody took in Redis, for the first connection to bind the uid on any node', async () => {
      const [a, b] = await cluster();
      const push = await backend(b!);
      expect(
        await push.request({ type: 'sendToUid', uid: 'qr', message: 'one' }),
      ).toEqual({ id: 1, ok: true, result: 0, buffered: 1 });
      expect(
        await push.request({ type: 'send', task_id: 'qr', openid: 'o' }),
      ).toEqual({ id: 2, ok: true, result: 0, buffered: 1 });

      const [first] = await tab(a!, 'qr');
      expect(await take(first, 2)).toEqual([
        'one',
        { type: 'login_status', openid: 'o', data: null },
      ]);
      // Taken: a second tab, on the node the pushes came through, finds nothing kept.
      const [second] = await tab(b!, 'qr');
      await push.request({ type: 'sendToUid', uid: 'qr', message: 'live' });
      expect(await second.nextNonPing()).toBe('live');
      expect(await first.nextNonPing()).toBe('live');
    });

    it('recovers what a connection missed on another node, once and in order', async () => {
      const [a, b] = await cluster();
      const push = await backend(b!);
      const [before, answer] = await tab(a!, 'pay', { recover: true });
      await push.request({ type: 'sendToUid', uid: 'pay', message: { n: 1 } });
      const [seen] = await take(before, 1);
      expect(seen).toEqual({
        type: 'push',
        position: answer.position + 1,
        message: { n: 1 },
      });

      // The tab drops; two pushes land while it is away; it comes back 2 s later on node b.
      before.socket.terminate();
      await before.closed;
      await push.request({ type: 'sendToUid', uid: 'pay', message: { n: 2 } });
      await push.request({ type: 'sendToUid', uid: 'pay', message: 'three' });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const [after, back] = await tab(b!, 'pay', { since: seen.position });
      expect(back).toMatchObject({ recovered: true, position: seen.position });
      await push.request({ type: 'sendToUid', uid: 'pay', message: { n: 4 } });
      expect(await take(after, 3)).toEqual([
        { type: 'push', position: seen.position + 1, message: { n: 2 } },
        { type: 'push', position: seen.position + 2, message: 'three' },
        { type: 'push', position: seen.position + 3, message: { n: 4 } },
      ]);

      // A position the history does not hold cannot be recovered: the client reloads.
      const [, lost] = await tab(a!, 'pay', { since: 12 });
      expect(lost).toMatchObject({ recovered: false });
    });

    it('delivers each push exactly once, in order, to a connection that binds while they stream in', async () => {
      const [a, b] = await cluster();
      const count = 200;
      // Eight uids, each with its own stream of pushes through node b and a tab that binds at
      // its own moment, on either node, following positions or not.
      const races = Array.from({ length: 8 }, async (_, k) => {
        const uid = `race ${k}`;
        const push = await backend(b!);
        const sending = (async () => {
          for (let n = 1; n <= count; n++) {
            await push.request({ type: 'sendToUid', uid, message: { n } });
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, 10 + 12 * k));
        const [racer] = await tab(k % 2 === 0 ? a! : b!, uid, {
          recover: k % 4 < 2,
        });
        await sending;
        await push.request({
          type: 'sendToClient',
          client_id: racer.clientId,
          message: 'end',
        });
        const got: unknown[] = [];
        for (;;) {
          const message = await racer.nextNonPing();
          const payload = message.type === 'push' ? message.message : message;
          if (payload === 'end') {
            return got;
          }
          got.push(payload.n);
        }
      });
      const all = Array.from({ length: count }, (_, i) => i + 1);
      expect(await Promise.all(races)).toEqual(races.map(() => all));
    });

    it('gives a recovering connection the pushes of every node in the order of their positions', async () => {
      const [a, b] = await cluster();
      const [screen, answer] = await tab(a!, 'both', { recover: true });
      const count = 150;
      await Promise.all(
        [a!, b!].map(async (node) => {
          const push = await backend(node);
          for (let n = 0; n < count; n++) {
            await push.request({
              type: 'sendToUid',
              uid: 'both',
              message: `${node.id} ${n}`,
            });
          }
        }),
      );
      const positions = (await take(screen, 2 * count)).map(
        (message: Json) => message.position as number,
      );
      expect(positions).toEqual(
        Array.from({ length: 2 * count }, (_, i) => answer.position + 1 + i),
      );
    });

    it('counts acknowledgements from browsers on other nodes, and from the one a kept push reaches', async () => {
      const [a, b] = await cluster();
      const push = await backend(b!);
      const [screen] = await tab(a!, 'ack', { recover: true });
      const replying = push.request({
        type: 'sendToUid',
        uid: 'ack',
        message: 'paid',
        ack: true,
        ack_timeout_ms: 10_000,
      });
      const [delivered] = await take(screen, 1);
      expect(delivered).toMatchObject({ ack: true, message: 'paid' });
      const started = Date.now();
      screen.send({ type: 'ack', position: delivered.position });
      expect(await replying).toEqual({ id: 1, ok: true, result: 1, acked: 1 });
      expect(Date.now() - started).toBeLessThan(5000);

      // Kept for nobody, then bound on node a: that connection's acknowledgement counts.
      const waiting = push.request({
        type: 'sendToUid',
        uid: 'later',
        message: 'kept',
        ack: true,
        ack_timeout_ms: 10_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [late] = await tab(a!, 'later', { recover: true });
      const [kept] = await take(late, 1);
      expect(kept).toMatchObject({ ack: true, message: 'kept' });
      late.send({ type: 'ack', position: kept.position });
      expect(await waiting).toEqual({
        id: 2,
        ok: true,
        result: 0,
        buffered: 1,
        acked: 1,
      });
    });

    it('bounds the histories in Redis: per uid, in bytes, in time, and leaves no keys behind', async () => {
      const [a, b] = await cluster({
        PUSH_BUFFER_MAX_PER_UID: '3',
        PUSH_BUFFER_MAX_BYTES: '4096',
        PUSH_BUFFER_TTL_MS: '1500',
        PUSH_NODE_TTL_MS: '1500',
      });
      const push = await backend(b!);
      for (let n = 1; n <= 5; n++) {
        await push.request({ type: 'sendToUid', uid: 'count', message: n });
      }
      const [counted] = await tab(a!, 'count');
      expect(await take(counted, 3)).toEqual([3, 4, 5]);

      // 40 uids × 200 bytes is twice the cap: the oldest give way.
      const big = 'x'.repeat(200);
      for (let n = 0; n < 40; n++) {
        await push.request({
          type: 'sendToUid',
          uid: `big ${n}`,
          message: big,
        });
      }
      const redis = new Redis(SHARED_REDIS_URL);
      try {
        const bytes = Number(await redis.get(`${prefix}:history-bytes`));
        expect(bytes).toBeGreaterThan(0);
        expect(bytes).toBeLessThanOrEqual(4096);
        const [oldest] = await tab(a!, 'big 0');
        const [newest] = await tab(a!, 'big 39');
        expect(await newest.nextNonPing()).toBe(big);
        await push.request({
          type: 'sendToClient',
          client_id: oldest.clientId,
          message: 'end',
        });
        expect(await oldest.nextNonPing()).toBe('end');

        // After the TTL nothing is delivered, and the sweep removes every history key.
        await push.request({
          type: 'sendToUid',
          uid: 'expires',
          message: 'old',
        });
        await new Promise((resolve) => setTimeout(resolve, 1700));
        const [expired] = await tab(a!, 'expires');
        await push.request({
          type: 'sendToClient',
          client_id: expired.clientId,
          message: 'end',
        });
        expect(await expired.nextNonPing()).toBe('end');
        await expect
          .poll(
            async () =>
              (await keysOf(SHARED_REDIS_URL, prefix)).filter((key) =>
                key.includes(':history'),
              ),
            { timeout: 5000, interval: 200 },
          )
          .toEqual([]);
        expect(Number(await redis.get(`${prefix}:history-bytes`))).toBe(0);
      } finally {
        redis.disconnect();
      }
    });
  },
);
