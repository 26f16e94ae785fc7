import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import type { ConnectionState } from '../src/sdk/node/text-connection.js';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';
import { useCleanup } from './support/cleanup.js';

describe(PushClient, () => {
  const cleanup = useCleanup();

  async function server(env: Record<string, string> = {}): Promise<TestServer> {
    const started = await startServer(env);
    cleanup.push(() => started.close());
    return started;
  }

  function client(port: number, options = {}): PushClient {
    const push = new PushClient({ port, ...options });
    cleanup.push(() => push.close());
    return push;
  }

  async function browser(url: string, uid: string): Promise<WsClient> {
    const tab = await WsClient.bound(url, uid);
    cleanup.push(() => tab.socket.terminate());
    return tab;
  }

  /** Resolves once the client has reached `state`. */
  function reaches(push: PushClient, state: ConnectionState): Promise<void> {
    return push.state === state
      ? Promise.resolve()
      : new Promise((resolve) =>
          push.on('state', (now) => now === state && resolve()),
        );
  }

  it('has a typed method for every command, each with its wire fields', async () => {
    const { wsUrl, textPort } = await server();
    const push = client(textPort);
    const [a, b] = [await browser(wsUrl, 'a'), await browser(wsUrl, 'b')];

    expect(await push.send('a', 'open id', { n: 1 })).toBe(1);
    expect(await a.next()).toEqual({
      type: 'login_status',
      openid: 'open id',
      data: { n: 1 },
    });
    expect(await push.sendToUid('a', 'one')).toBe(1);
    expect(await push.sendToUid(['a', 'b'], 'both')).toBe(2);
    expect(await push.sendToClient(b.clientId, 'to b')).toBe(1);
    expect(await push.sendToClient([a.clientId, b.clientId], 'to both')).toBe(
      2,
    );
    expect(await push.joinGroup(a.clientId, 'g')).toBe(true);
    expect(await push.joinGroup(b.clientId, 'g')).toBe(true);
    expect(await push.sendToGroup('g', 'group', [b.clientId])).toBe(1);
    expect(await push.sendToGroup(['g', 'h'], 'groups')).toBe(2);
    expect(await push.sendToAll('all', { exclude: [a.clientId] })).toBe(1);
    expect(await push.sendToAll('some', { clientIds: [a.clientId] })).toBe(1);
    expect(a.messages.pending).toEqual([
      'one',
      'both',
      'to both',
      'group',
      'groups',
      'some',
    ]);
    expect(b.messages.pending).toEqual([
      'both',
      'to b',
      'to both',
      'groups',
      'all',
    ]);

    expect(await push.isOnline(a.clientId)).toBe(true);
    expect(await push.isUidOnline('b')).toBe(true);
    expect(await push.getClientIdByUid('a')).toEqual([a.clientId]);
    expect(await push.getUidByClientId(b.clientId)).toBe('b');
    expect((await push.getClientIdListByGroup('g')).sort()).toEqual(
      [a.clientId, b.clientId].sort(),
    );
    expect(await push.getClientCountByGroup('g')).toBe(2);
    expect((await push.getUidListByGroup('g')).sort()).toEqual(['a', 'b']);
    expect(await push.getUidCountByGroup('g')).toBe(2);
    expect(await push.getAllClientCount()).toBe(2);
    expect((await push.getAllClientIdList()).length).toBe(2);
    expect((await push.getAllUidList()).sort()).toEqual(['a', 'b']);
    expect(await push.getAllUidCount()).toBe(2);
    expect(await push.getAllGroupIdList()).toEqual(['g']);
    expect(await push.leaveGroup(b.clientId, 'g')).toBe(true);
    expect(await push.ungroup('g')).toBe(1);

    expect(await push.bindUid(b.clientId, 'c')).toBe(true);
    expect(await push.unbindUid(b.clientId, 'c')).toBe(true);
    expect(await push.setSession(a.clientId, { x: { y: 1 } })).toBe(true);
    expect(await push.updateSession(a.clientId, { x: { z: 2 } })).toBe(true);
    expect(await push.getSession(a.clientId)).toEqual({ x: { y: 1, z: 2 } });
    expect(await push.closeClient(a.clientId, 'bye')).toBe(true);
    expect((await a.closed).code).toBe(1000);
  });

  it('rejects with the server error code', async () => {
    const { textPort } = await server();
    const push = client(textPort);
    await expect(push.request('noSuchCommand')).rejects.toMatchObject({
      name: 'PushClientError',
      code: 'unknown_type',
    });
    await expect(push.sendToUid('', 'm')).rejects.toMatchObject({
      code: 'invalid_message',
    });
    expect(await push.getAllClientCount()).toBe(0);
  });

  it('fails with bad_reply, without crashing, when the peer is not a text port', async () => {
    const { ws } = await server();
    const push = client(ws.port, { minReconnectDelayMs: 1000 });
    await expect(push.getAllClientCount()).rejects.toMatchObject({
      code: 'bad_reply',
    });
  });

  it('fails a line too long for the server, and goes on', async () => {
    const { textPort } = await server({ PUSH_MAX_LINE_BYTES: '1024' });
    const push = client(textPort);
    const [tooLong, next] = [
      push.sendToUid('u', 'x'.repeat(2000)),
      push.getAllUidCount(),
    ];
    await expect(tooLong).rejects.toMatchObject({ code: 'line_too_long' });
    expect(await next).toBe(0);
  });

  it('keeps requests made while the server is away, and sends them once it is back', async () => {
    const first = await startServer();
    const port = first.textPort;
    const push = client(port, {
      minReconnectDelayMs: 20,
      maxReconnectDelayMs: 100,
    });
    const states: ConnectionState[] = [];
    push.on('state', (state) => states.push(state));
    expect(await push.getAllClientCount()).toBe(0);

    await first.close();
    await reaches(push, 'disconnected');
    const waiting = push.getAllGroupIdList();
    const second = await server({ PUSH_TEXT_PORT: String(port) });
    const tab = await browser(second.wsUrl, 'u');

    expect(await waiting).toEqual([]);
    expect(await push.sendToUid('u', 'after the restart')).toBe(1);
    expect(await tab.next()).toBe('after the restart');
    expect(states.slice(0, 3)).toEqual([
      'connected',
      'disconnected',
      'connecting',
    ]);
    expect(states.at(-1)).toBe('connected');
  });

  it('gives up on a request after timeoutMs', async () => {
    const idle = createServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const port = (idle.address() as { port: number }).port;
    await new Promise((resolve) => idle.close(resolve)); // nothing listens there now
    const push = client(port, { timeoutMs: 200, minReconnectDelayMs: 50 });

    const started = Date.now();
    await expect(push.getAllClientCount()).rejects.toMatchObject({
      code: 'timeout',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('refuses more waiting requests than maxQueuedRequests', async () => {
    const push = client(1, { maxQueuedRequests: 2, timeoutMs: 200 });
    const waiting = [push.getAllClientCount(), push.getAllClientCount()];
    await expect(push.getAllClientCount()).rejects.toMatchObject({
      code: 'queue_full',
    });
    await expect(Promise.all(waiting)).rejects.toMatchObject({
      code: 'timeout',
    });
  });

  it('fails a request whose connection drops before the reply, with connection_lost', async () => {
    // A peer that reads one line and hangs up: the drop this test is about.
    const sockets: Socket[] = [];
    const dropping: Server = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) =>
      dropping.listen(0, '127.0.0.1', resolve),
    );
    cleanup.push(() => new Promise((resolve) => dropping.close(resolve)));
    const push = client((dropping.address() as { port: number }).port);

    await expect(push.sendToUid('u', 'm')).rejects.toMatchObject({
      code: 'connection_lost',
    });
  });

  it('answers what was sent before close(), and refuses what comes after', async () => {
    const { wsUrl, textPort } = await server();
    const tab = await browser(wsUrl, 'u');
    const push = new PushClient({ port: textPort });
    await push.getAllClientCount();

    const sent = Array.from({ length: 50 }, (_, i) => push.sendToUid('u', i));
    const closing = push.close();
    await expect(push.isUidOnline('u')).rejects.toMatchObject({
      code: 'closed',
    });
    expect(await Promise.all(sent)).toEqual(Array(50).fill(1));
    await closing;
    expect(push.state).toBe('closed');
    expect(await tab.next()).toBe(0);
  });

  it('pushes 20,000 requests through one connection, each answered', async () => {
    const { wsUrl, textPort } = await server();
    const tab = await browser(wsUrl, 'u');
    const push = client(textPort, {
      timeoutMs: 30_000,
      maxQueuedRequests: 20_000,
    });

    const results = await Promise.all(
      Array.from({ length: 20_000 }, (_, i) => push.sendToUid('u', { i })),
    );

    expect(results.every((delivered) => delivered === 1)).toBe(true);
    for (let i = 0; i < 20_000; i++) {
      expect((await tab.next()).i).toBe(i);
    }
  });
});
