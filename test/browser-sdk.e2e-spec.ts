import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  PushgateClient,
  type PushgateEvents,
  type PushgateState,
  type WebSocketClass,
} from '../src/sdk/browser/pushgate-client.js';
import { mintToken } from '../src/auth/mint-token.js';
import { PushClient } from '../src/sdk/node/push-client.js';
import { MessageQueue } from './support/message-queue.js';
import { startServer } from './support/server.js';
import { useCleanup } from './support/cleanup.js';

/** The browser SDK, driven in Node with `ws` as its WebSocket, against the real server. */
describe('PushgateClient (the browser SDK)', () => {
  const cleanup = useCleanup();

  async function server(env: Record<string, string> = {}) {
    const started = await startServer(env);
    const push = new PushClient({ port: started.textPort });
    cleanup.push(
      () => started.close(),
      () => push.close(),
    );
    return { ...started, push };
  }

  /** A client whose events are queued for the test to read in order. */
  function client(
    url: string,
    options: ConstructorParameters<typeof PushgateClient>[1] = {},
  ) {
    const sdk = new PushgateClient(url, {
      WebSocket: WebSocket as unknown as WebSocketClass,
      minReconnectDelayMs: 20,
      maxReconnectDelayMs: 100,
      ...options,
    });
    cleanup.push(() => sdk.close());
    const states = new MessageQueue<PushgateState>();
    const messages = new MessageQueue<unknown>();
    const bound = new MessageQueue<PushgateEvents['bound']>();
    const errors = new MessageQueue<{ code: string; message: string }>();
    sdk.on('state', (s) => states.push(s));
    sdk.on('message', (m) => messages.push(m));
    sdk.on('bound', (b) => bound.push(b));
    sdk.on('error', (e) => errors.push(e));
    return { sdk, states, messages, bound, errors };
  }

  async function until(
    states: MessageQueue<PushgateState>,
    state: PushgateState,
  ) {
    while ((await states.next()) !== state) {
      // earlier states
    }
  }

  it('binds its uid, goes connecting → connected, and receives pushes', async () => {
    const { wsUrl, push } = await server();
    const { states, messages, bound } = client(wsUrl, { uid: 'ann' });

    expect([await states.next(), await states.next()]).toEqual([
      'connecting',
      'connected',
    ]);
    const { clientId } = await bound.next();
    expect(await push.getUidByClientId(clientId)).toBe('ann');
    await push.sendToUid('ann', { type: 'notice', n: 1 });
    await push.sendToUid('ann', 'plain text');
    expect([await messages.next(), await messages.next()]).toEqual([
      { type: 'notice', n: 1 },
      'plain text',
    ]);
  });

  it('answers pings, so the server keeps it', async () => {
    const { wsUrl, push } = await server({
      PUSH_PING_INTERVAL_MS: '50',
      PUSH_PING_LIMIT: '1',
    });
    const pings = new MessageQueue<void>();
    // The SDK's own socket, watched: it shows the pings the SDK answers.
    class WatchedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('message', (data) => {
          if ((data as Buffer).toString() === '{"type":"ping"}') {
            pings.push();
          }
        });
      }
    }
    const { bound } = client(wsUrl, {
      uid: 'ann',
      WebSocket: WatchedWebSocket as unknown as WebSocketClass,
    });
    const { clientId } = await bound.next();
    for (let i = 0; i < 6; i++) {
      await pings.next(); // a client silent through one ping is closed at the next
    }
    expect(await push.isOnline(clientId)).toBe(true);
  });

  it('reconnects with backoff after the server restarts, and binds its uid again', async () => {
    const first = await startServer();
    const port = String(first.ws.port);
    const { states, bound, messages } = client(first.wsUrl, { uid: 'ann' });
    await bound.next();

    await first.close();
    await until(states, 'disconnected');
    const second = await server({ PUSH_WS_PORT: port });
    await until(states, 'connected');
    await bound.next();
    expect(await second.push.sendToUid('ann', 'after the restart')).toBe(1);
    expect(await messages.next()).toBe('after the restart');
  });

  it('asks its token function for a fresh token before every init', async () => {
    const secret = 'jwt-secret-of-at-least-32-characters';
    const first = await startServer({ PUSH_JWT_SECRET: secret });
    const port = String(first.ws.port);
    let calls = 0;
    const { states, bound, errors } = client(first.wsUrl, {
      uid: 'ann',
      token: async () => {
        if (++calls === 2) {
          throw new Error('the token endpoint is down');
        }
        return mintToken(secret, 'ann', 60);
      },
    });
    await bound.next();

    await first.close();
    await until(states, 'disconnected');
    const second = await server({
      PUSH_WS_PORT: port,
      PUSH_JWT_SECRET: secret,
    });
    expect(await errors.next()).toEqual({
      code: 'token_failed',
      message: 'could not get a token: Error: the token endpoint is down',
    });
    expect(await bound.next()).toMatchObject({ uid: 'ann' });
    expect(calls).toBe(3);
    expect(await second.push.isUidOnline('ann')).toBe(true);
  });

  it('stops for good when the server closes it on purpose (closeClient)', async () => {
    const { wsUrl, push } = await server();
    const { sdk, bound, states, errors } = client(wsUrl, { uid: 'ann' });
    const { clientId } = await bound.next();
    await push.closeClient(clientId);

    await until(states, 'disconnected');
    expect(await errors.next()).toMatchObject({ code: 'closed' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // several reconnect delays
    expect(sdk.state).toBe('disconnected');
    expect(await push.isUidOnline('ann')).toBe(false);
  });

  it('close() disconnects and stays disconnected', async () => {
    const { wsUrl, push } = await server();
    const { sdk, bound } = client(wsUrl, { uid: 'ann' });
    await bound.next();
    sdk.close();
    expect(sdk.state).toBe('disconnected');
    await expect.poll(() => push.isUidOnline('ann')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await push.isUidOnline('ann')).toBe(false);
  });

  it('with recover, gets every push once and in order across reconnects, and acknowledges', async () => {
    const { wsUrl, push } = await server();
    // The server pings every 25 s: a client that expects life every 300 ms reconnects whenever
    // 300 ms pass without a push.
    const { sdk, bound, messages } = client(wsUrl, {
      uid: 'ann',
      recover: true,
      pingTimeoutMs: 300,
    });
    await bound.next();
    const sent = Array.from({ length: 12 }, (_, i) => `m${i}`);
    for (const [i, message] of sent.entries()) {
      await push.sendToUid('ann', message);
      await sleep(i % 3 === 2 ? 330 : 40);
    }
    const received = [];
    for (const _ of sent) {
      received.push(await messages.next());
    }
    expect(received).toEqual(sent);
    expect(messages.pending).toEqual([]);
    const rebinds = bound.pending;
    expect(rebinds.length).toBeGreaterThan(0);
    expect(rebinds.every(({ recovered }) => recovered === true)).toBe(true);

    expect(
      await push.sendToUidWithReceipt('ann', 'ack me', { ack: true }),
    ).toEqual({
      connections: expect.any(Number),
      buffered: expect.any(Number),
      acked: 1,
    });
    sdk.close();
  });

  it('reports server errors, and sends application messages', async () => {
    const { wsUrl } = await server();
    const { sdk, errors, states } = client(wsUrl);
    await until(states, 'connected');
    expect(sdk.send({ type: 'no such thing' })).toBe(true);
    expect(await errors.next()).toMatchObject({ code: 'unknown_type' });
  });
});
