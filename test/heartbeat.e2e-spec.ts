import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';

const INTERVAL_MS = 100;

describe('heartbeat', () => {
  let server: TestServer;
  const open: WsClient[] = [];

  async function browser(): Promise<WsClient> {
    const client = await WsClient.connect(server.wsUrl);
    open.push(client);
    return client;
  }

  /** Waits for `count` pings, answering each with `answer` (or staying silent). */
  async function sitThrough(client: WsClient, count: number, answer?: string) {
    for (let i = 0; i < count; i++) {
      let message = await client.next(10 * INTERVAL_MS);
      while (message.type !== 'ping') {
        message = await client.next(10 * INTERVAL_MS);
      }
      if (answer !== undefined) {
        client.send(answer);
      }
    }
  }

  afterEach(async () => {
    open.splice(0).forEach((client) => client.socket.terminate());
    await server.close();
  });

  it('pings, and closes a client that stays silent through PUSH_PING_LIMIT pings with 4408', async () => {
    server = await startServer({
      PUSH_PING_INTERVAL_MS: String(INTERVAL_MS),
      PUSH_PING_LIMIT: '2',
    });
    const silent = await browser();
    const answering = await browser();
    const started = Date.now();

    const [closed] = await Promise.all([
      silent.closed,
      sitThrough(answering, 4, '{"type":"pong"}'),
    ]);

    expect(closed).toEqual({ code: 4408, reason: 'ping timeout' });
    expect(
      silent.messages.pending.filter((m) => m.type === 'ping'),
    ).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * INTERVAL_MS);
    expect(answering.socket.readyState).toBe(answering.socket.OPEN);
  });

  it('counts any message, even a bad one, as a sign of life', async () => {
    server = await startServer({
      PUSH_PING_INTERVAL_MS: String(INTERVAL_MS),
      PUSH_PING_LIMIT: '2',
    });
    const chatty = await browser();
    await sitThrough(chatty, 5, 'not even JSON');
    expect(chatty.socket.readyState).toBe(chatty.socket.OPEN);
  });

  it('never closes for silence when PUSH_PING_LIMIT is 0', async () => {
    server = await startServer({
      PUSH_PING_INTERVAL_MS: String(INTERVAL_MS),
      PUSH_PING_LIMIT: '0',
    });
    const silent = await browser();
    await sitThrough(silent, 5);
    expect(silent.socket.readyState).toBe(silent.socket.OPEN);
  });
});
