import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import { useCleanup } from './support/cleanup.js';
import { clusterEnv } from './support/cluster.js';
import { describeWithRedis } from './support/redis.js';
import { startWithBackend } from './support/server.js';
import { WsClient } from './support/ws-client.js';

/**
 * The system calls that wrote, made by this process: the server under test runs in it, and its
 * clients here write nothing while they receive. Linux only.
 */
const WRITE_CALLS = '/proc/self/io';
function writeCalls(): number {
  return Number(/^syscw: (\d+)$/m.exec(readFileSync(WRITE_CALLS, 'utf8'))![1]);
}

/** `count` messages in order, pings left out. */
async function receive(client: WsClient, count: number): Promise<unknown[]> {
  const received: unknown[] = [];
  while (received.length < count) {
    received.push(await client.nextNonPing());
  }
  return received;
}

/** `sendToUid` lines for one write: to uid a three times, then once to b, and so on. */
function chunk(lines: number, message = (i: number) => `m${i}`): string {
  return Array.from(
    { length: lines },
    (_, i) =>
      `${JSON.stringify({ type: 'sendToUid', uid: i % 4 === 3 ? 'b' : 'a', message: message(i) })}\n`,
  ).join('');
}

/** What `chunk(40)` pushed has reached a and b, each its own share, in order. */
async function expectChunkReceived(a: WsClient, b: WsClient): Promise<void> {
  const all = Array.from({ length: 40 }, (_, i) => `m${i}`);
  expect(await receive(a, 30)).toEqual(all.filter((_, i) => i % 4 !== 3));
  expect(await receive(b, 10)).toEqual(all.filter((_, i) => i % 4 === 3));
}

/** The helpers of a spec: a server with a backend, bound tabs and a PushClient, closed after each test. */
function specHelpers() {
  const cleanup = useCleanup();
  return {
    cleanup,
    server: (env: Record<string, string> = {}) =>
      startWithBackend(cleanup, env),
    tab: async (url: string, uid: string): Promise<WsClient> => {
      const client = await WsClient.bound(url, uid);
      cleanup.push(() => client.socket.terminate());
      return client;
    },
    pushClient: (port: number): PushClient => {
      const push = new PushClient({ port });
      cleanup.push(() => push.close());
      return push;
    },
  };
}

describe("a backend's chunk of sends", () => {
  const { cleanup, server, tab, pushClient } = specHelpers();

  it('reaches every connection whole and in order', async () => {
    const { wsUrl, backend } = await server();
    const [a, b] = [await tab(wsUrl, 'a'), await tab(wsUrl, 'b')];
    await backend.write(chunk(40));
    await expectChunkReceived(a, b);
  });

  it.skipIf(!existsSync(WRITE_CALLS))(
    `costs one write system call per connection, not one per line (reads ${WRITE_CALLS})`,
    async () => {
      const { wsUrl, backend } = await server();
      const [a, b] = [await tab(wsUrl, 'a'), await tab(wsUrl, 'b')];
      const before = writeCalls();
      await backend.write(chunk(40));
      await expectChunkReceived(a, b);
      // The backend's write, one per connection, and room for a write of the test runner's own.
      // One per line would be 41.
      expect(writeCalls() - before).toBeLessThanOrEqual(6);
    },
  );

  it('does not close a client that reads, however much of the chunk is for it', async () => {
    const limit = 1024; // the least PUSH_MAX_BUFFERED_BYTES allows
    const { wsUrl, backend, textPort } = await server({
      PUSH_MAX_BUFFERED_BYTES: String(limit),
    });
    const a = await tab(wsUrl, 'a');
    await tab(wsUrl, 'b');
    const big = (i: number) => `${i} ${'x'.repeat(200)}`;
    await backend.write(chunk(40, big));
    // 30 messages of 200 bytes for a: six times the limit, all in one batch.
    expect(await receive(a, 30)).toHaveLength(30);
    expect(await pushClient(textPort).getClientIdByUid('a')).toHaveLength(1);
  });

  it('still closes a browser that stops reading (1013), judged after each run; the others get everything', async () => {
    const limit = 256 * 1024;
    const { wsUrl, backend, textPort } = await server({
      PUSH_MAX_BUFFERED_BYTES: String(limit),
    });
    const reading = await tab(wsUrl, 'u');
    const stalled = await tab(wsUrl, 'u');
    stalled.socket.pause(); // reads nothing more: what is sent to it piles up
    const push = pushClient(textPort);
    const message = (i: number) => `${i} ${'x'.repeat(1000)}`;
    const run = 32; // lines per write: each read is one run, long enough to be batched
    let sent = 0;
    // The kernel buffers of both sockets take a few megabytes before the server holds anything.
    while ((await push.getClientIdByUid('u')).length === 2) {
      expect(sent).toBeLessThan(20_000); // 20 MB: far past any kernel buffer
      const first = sent;
      await backend.write(
        Array.from(
          { length: run },
          () =>
            `${JSON.stringify({ type: 'sendToUid', uid: 'u', message: message(sent++) })}\n`,
        ).join(''),
      );
      expect(await receive(reading, run)).toEqual(
        Array.from({ length: run }, (_, i) => message(first + i)),
      );
    }
    stalled.socket.resume();
    expect((await stalled.closed).code).toBe(1013);
    expect(sent * 1000).toBeGreaterThan(4 * limit);
  });

  it.skipIf(!existsSync(WRITE_CALLS))(
    'owed to a connection on init (kept pushes) goes out in one write after init_ok',
    async () => {
      const { wsUrl, backend } = await server();
      for (let i = 0; i < 20; i++) {
        await backend.send({
          type: 'sendToUid',
          uid: 'late',
          message: `k${i}`,
        });
      }
      const client = await WsClient.connect(wsUrl);
      cleanup.push(() => client.socket.terminate());
      const before = writeCalls();
      await client.init('late');
      expect(await receive(client, 20)).toEqual(
        Array.from({ length: 20 }, (_, i) => `k${i}`),
      );
      // init's write, init_ok's, the backlog's, and room for one of the test runner's own.
      expect(writeCalls() - before).toBeLessThanOrEqual(5);
    },
  );
});

describeWithRedis("a backend's chunk of sends, in cluster mode", () => {
  const { server, tab } = specHelpers();

  it.skipIf(!existsSync(WRITE_CALLS))(
    "reaches the node's own connections in one write system call each",
    async () => {
      const { wsUrl, backend } = await server({
        ...clusterEnv(),
        PUSH_NODE_ID: 'a',
      });
      const [a, b] = [await tab(wsUrl, 'a'), await tab(wsUrl, 'b')];
      const before = writeCalls();
      await backend.write(chunk(40));
      await expectChunkReceived(a, b);
      // The backend's write, one per connection, the pipeline to Redis, and room for a few of
      // the node's and the test runner's own. One per line would be over 40.
      expect(writeCalls() - before).toBeLessThanOrEqual(10);
    },
  );
});
