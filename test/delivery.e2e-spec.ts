import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import { LineClient } from './support/line-client.js';
import { startServer, startWithBackend } from './support/server.js';
import { type Json, WsClient } from './support/ws-client.js';
import { useCleanup } from './support/cleanup.js';
import { metric } from './support/metrics.js';

describe('no push lost to a race or a reconnect', () => {
  const cleanup = useCleanup();

  const server = (env: Record<string, string> = {}) =>
    startWithBackend(cleanup, env);

  async function tab(url: string): Promise<WsClient> {
    const client = await WsClient.connect(url);
    cleanup.push(() => client.socket.terminate());
    return client;
  }

  /** Connects and sends `init` with extra fields; resolves with the answer. */
  async function init(url: string, uid: string, fields: Json = {}) {
    const client = await tab(url);
    client.send({ type: 'init', task_id: uid, ...fields });
    const answer = await client.nextNonPing();
    return { client, answer };
  }

  /** Drops a tab without a close frame, waits until the server has seen it, then pushes to `uid`. */
  async function dropThenPush(
    client: WsClient,
    backend: LineClient,
    uid: string,
    messages: readonly string[],
  ): Promise<void> {
    client.socket.terminate();
    await client.closed;
    await sleep(100); // the server sees the drop
    for (const message of messages) {
      await backend.send({ type: 'sendToUid', uid, message });
    }
  }

  /** Everything a client receives within `ms`, pings left out. */
  async function drain(client: WsClient, ms = 200): Promise<Json[]> {
    const received: Json[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        return received;
      }
      const message = await client.next(left).catch(() => undefined);
      if (message === undefined) {
        return received;
      }
      if (message.type !== 'ping') {
        received.push(message);
      }
    }
  }

  describe('the offline buffer', () => {
    it('delivers a push sent before init to the first connection that binds the uid, after init_ok', async () => {
      const { wsUrl, backend } = await server();
      expect(
        await backend.request({ type: 'send', task_id: 'qr 1', openid: 'o1' }),
      ).toEqual({ id: 1, ok: true, result: 0, buffered: 1 });

      const { client: first, answer } = await init(wsUrl, 'qr 1');
      expect(answer.type).toBe('init_ok');
      expect(await first.nextNonPing()).toEqual({
        type: 'login_status',
        openid: 'o1',
        data: null,
      });
      const { client: second } = await init(wsUrl, 'qr 1');
      expect(await drain(second)).toEqual([]);
    });

    it('says a live push was live: no buffered field', async () => {
      const { wsUrl, backend } = await server();
      await init(wsUrl, 'u');
      expect(
        await backend.request({ type: 'sendToUid', uid: 'u', message: 'm' }),
      ).toEqual({ id: 1, ok: true, result: 1 });
    });

    it('delivers, once and in order, what was pushed while the only tab was reconnecting', async () => {
      const { wsUrl, backend } = await server();
      const { client: before } = await init(wsUrl, 'u');
      await backend.send({ type: 'sendToUid', uid: 'u', message: 'm0' });
      expect(await before.nextNonPing()).toBe('m0');
      await dropThenPush(before, backend, 'u', ['m1', 'm2', 'm3']);
      await sleep(2000);
      const { client: after } = await init(wsUrl, 'u');
      await backend.send({ type: 'sendToUid', uid: 'u', message: 'm4' });
      expect(await drain(after, 300)).toEqual(['m1', 'm2', 'm3', 'm4']);
    });

    it('keeps at most PUSH_BUFFER_MAX_PER_UID pushes per uid, dropping the oldest', async () => {
      const started = await server({ PUSH_BUFFER_MAX_PER_UID: '3' });
      for (let i = 1; i <= 5; i++) {
        await started.backend.send({
          type: 'sendToUid',
          uid: 'u',
          message: `m${i}`,
        });
      }
      const { client } = await init(started.wsUrl, 'u');
      expect(await drain(client)).toEqual(['m3', 'm4', 'm5']);
      expect(
        await metric(
          started.ws.port,
          'pushgate_buffer_dropped_total{reason="uid_limit"}',
        ),
      ).toBe(2);
    });

    it('keeps at most PUSH_BUFFER_MAX_BYTES in all, dropping the oldest of any uid', async () => {
      const started = await server({ PUSH_BUFFER_MAX_BYTES: '2048' });
      const message = 'x'.repeat(400);
      for (let i = 1; i <= 8; i++) {
        await started.backend.send({
          type: 'sendToUid',
          uid: `u${i}`,
          message,
        });
      }
      await started.backend.request({ type: 'getAllClientCount' });
      expect(
        await metric(started.ws.port, 'pushgate_history_bytes'),
      ).toBeLessThanOrEqual(2048);
      const { client: oldest } = await init(started.wsUrl, 'u1');
      const { client: newest } = await init(started.wsUrl, 'u8');
      expect(await drain(oldest)).toEqual([]);
      expect(await drain(newest)).toEqual([message]);
      expect(
        await metric(
          started.ws.port,
          'pushgate_buffer_dropped_total{reason="bytes_limit"}',
        ),
      ).toBeGreaterThan(0);
    });

    it('keeps a push for PUSH_BUFFER_TTL_MS only', async () => {
      const started = await server({ PUSH_BUFFER_TTL_MS: '300' });
      await started.backend.send({
        type: 'sendToUid',
        uid: 'late',
        message: 'gone',
      });
      await started.backend.send({
        type: 'sendToUid',
        uid: 'soon',
        message: 'kept',
      });
      await sleep(600);
      await started.backend.send({
        type: 'sendToUid',
        uid: 'soon',
        message: 'new',
      });
      const { client: late } = await init(started.wsUrl, 'late');
      const { client: soon } = await init(started.wsUrl, 'soon');
      expect(await drain(late)).toEqual([]);
      expect(await drain(soon)).toEqual(['new']);
      expect(
        await metric(
          started.ws.port,
          'pushgate_buffer_dropped_total{reason="expired"}',
        ),
      ).toBe(2);
    });

    it('writes a backlog bigger than PUSH_MAX_BUFFERED_BYTES whole, to a client that reads it', async () => {
      const { wsUrl, backend } = await server();
      const message = 'x'.repeat(60_000);
      for (let i = 0; i < 100; i++) {
        await backend.send({ type: 'sendToUid', uid: 'u', message });
      }
      await backend.request({ type: 'getAllClientCount' });
      const { client } = await init(wsUrl, 'u'); // 6 MB owed, against a 1 MiB limit
      for (let i = 0; i < 100; i++) {
        expect(await client.nextNonPing()).toBe(message);
      }
      expect(client.socket.readyState).toBe(client.socket.OPEN);
    });

    it('keeps nothing with PUSH_BUFFER_TTL_MS=0', async () => {
      const { wsUrl, backend } = await server({ PUSH_BUFFER_TTL_MS: '0' });
      expect(
        await backend.request({ type: 'sendToUid', uid: 'u', message: 'm' }),
      ).toEqual({ id: 1, ok: true, result: 0 });
      const { client } = await init(wsUrl, 'u');
      expect(await drain(client)).toEqual([]);
    });
  });

  describe('recovery', () => {
    it('wraps pushes in envelopes with positions for a connection that asks, and only for it', async () => {
      const { wsUrl, backend } = await server();
      const { client: plain } = await init(wsUrl, 'u');
      const { client: recovering, answer } = await init(wsUrl, 'u', {
        recover: true,
      });
      expect(answer).toMatchObject({
        type: 'init_ok',
        position: expect.any(Number),
      });
      expect(answer.recovered).toBeUndefined();
      await backend.send({ type: 'sendToUid', uid: 'u', message: { n: 1 } });
      await backend.send({ type: 'sendToUid', uid: 'u', message: 'text' });
      expect([await plain.next(), await plain.next()]).toEqual([
        { n: 1 },
        'text',
      ]);
      expect([await recovering.next(), await recovering.next()]).toEqual([
        { type: 'push', position: answer.position + 1, message: { n: 1 } },
        { type: 'push', position: answer.position + 2, message: 'text' },
      ]);
    });

    it('gives a connection that comes back with since what it missed while another tab was live, exactly once, in order', async () => {
      const { wsUrl, backend } = await server();
      const { client: other } = await init(wsUrl, 'u');
      const { client: tab1, answer } = await init(wsUrl, 'u', {
        recover: true,
      });
      await backend.send({ type: 'sendToUid', uid: 'u', message: 'm0' });
      const seen = (await tab1.next()).position;
      expect(seen).toBe(answer.position + 1);
      await dropThenPush(tab1, backend, 'u', ['m1', 'm2']);
      await sleep(2000);
      const { client: back, answer: again } = await init(wsUrl, 'u', {
        since: seen,
      });
      expect(again).toMatchObject({ recovered: true, position: seen });
      await backend.send({ type: 'sendToUid', uid: 'u', message: 'm3' });
      expect(
        (await drain(back, 300)).map(({ position, message }) => [
          position,
          message,
        ]),
      ).toEqual([
        [seen + 1, 'm1'],
        [seen + 2, 'm2'],
        [seen + 3, 'm3'],
      ]);
      expect((await drain(other)).length).toBe(4);
    });

    it('says recovered: false when what came after since is no longer kept, and sends only what nobody received', async () => {
      const { wsUrl, backend } = await server({ PUSH_BUFFER_MAX_PER_UID: '2' });
      const { client: first, answer } = await init(wsUrl, 'u', {
        recover: true,
      });
      await dropThenPush(first, backend, 'u', ['m1', 'm2', 'm3']);
      const { client: back, answer: again } = await init(wsUrl, 'u', {
        since: answer.position,
      });
      expect(again.recovered).toBe(false);
      expect((await drain(back)).map(({ message }) => message)).toEqual([
        'm2',
        'm3',
      ]);
    });

    it('says recovered: false for a position from before a restart', async () => {
      const first = await startServer();
      const port = String(first.ws.port);
      const { client, answer } = await init(first.wsUrl, 'u', {
        recover: true,
      });
      client.socket.terminate();
      await first.close();
      const second = await server({ PUSH_WS_PORT: port });
      const { answer: again } = await init(second.wsUrl, 'u', {
        since: answer.position,
      });
      expect(again.recovered).toBe(false);
      expect(again.position).toBeGreaterThan(answer.position);
    });

    it('answers the position from before the backlog, so that a connection cut while reading it loses nothing', async () => {
      const { wsUrl, backend } = await server();
      const { client: first, answer } = await init(wsUrl, 'u', {
        recover: true,
      });
      await dropThenPush(first, backend, 'u', ['m1', 'm2', 'm3']);
      // Cut as soon as init_ok arrives, before reading what follows it.
      const { client: cut, answer: cutAt } = await init(wsUrl, 'u', {
        since: answer.position,
      });
      cut.socket.terminate();
      expect(cutAt).toMatchObject({
        recovered: true,
        position: answer.position,
      });
      const { client: back } = await init(wsUrl, 'u', {
        since: cutAt.position,
      });
      expect((await drain(back)).map(({ message }) => message)).toEqual([
        'm1',
        'm2',
        'm3',
      ]);
    });

    it('says recovered: true, with nothing to send, for a connection that saw everything', async () => {
      const { wsUrl } = await server();
      const { client, answer } = await init(wsUrl, 'u', { recover: true });
      client.socket.terminate();
      await client.closed;
      const { client: back, answer: again } = await init(wsUrl, 'u', {
        since: answer.position,
      });
      expect(again).toMatchObject({
        recovered: true,
        position: answer.position,
      });
      expect(await drain(back)).toEqual([]);
    });

    it('wraps pushes to a group or to everyone without a position', async () => {
      const { wsUrl, backend } = await server();
      const { client, answer } = await init(wsUrl, 'u', { recover: true });
      await backend.send({
        type: 'joinGroup',
        client_id: answer.client_id,
        group: 'g',
      });
      await backend.send({ type: 'sendToGroup', group: 'g', message: 'to g' });
      await backend.send({ type: 'sendToAll', message: { all: true } });
      expect([await client.next(), await client.next()]).toEqual([
        { type: 'push', message: 'to g' },
        { type: 'push', message: { all: true } },
      ]);
    });

    it('refuses a since or an ack position that is not a whole number', async () => {
      const { wsUrl } = await server();
      const { answer } = await init(wsUrl, 'u', { since: -1 });
      expect(answer).toMatchObject({ type: 'error', code: 'invalid_message' });
      const { client } = await init(wsUrl, 'v');
      client.send({ type: 'ack', position: 'last' });
      expect(await client.nextNonPing()).toMatchObject({
        code: 'invalid_message',
        message: expect.stringContaining('position'),
      });
    });
  });

  describe('acknowledgements', () => {
    it('waits for the recovering connections to acknowledge, and says how many did', async () => {
      const { wsUrl, backend } = await server();
      const tabs = await Promise.all([
        init(wsUrl, 'u', { recover: true }),
        init(wsUrl, 'u', { recover: true }),
      ]);
      const reply = backend.request({
        type: 'sendToUid',
        uid: 'u',
        message: 'paid',
        ack: true,
      });
      for (const { client } of tabs) {
        const push = await client.nextNonPing();
        expect(push).toMatchObject({
          type: 'push',
          ack: true,
          message: 'paid',
        });
        client.send({ type: 'ack', position: push.position });
      }
      expect(await reply).toEqual({ id: 1, ok: true, result: 2, acked: 2 });
    });

    it('counts each connection once, and only those the push was written to', async () => {
      const { wsUrl, backend } = await server();
      const [a] = await Promise.all([
        init(wsUrl, 'u', { recover: true }),
        init(wsUrl, 'u', { recover: true }),
      ]);
      const { client: stranger } = await init(wsUrl, 'other', {
        recover: true,
      });
      const reply = backend.request({
        type: 'sendToUid',
        uid: 'u',
        message: 'm',
        ack: true,
        ack_timeout_ms: 500,
      });
      const { position } = await a.client.nextNonPing();
      a.client.send({ type: 'ack', position });
      a.client.send({ type: 'ack', position });
      stranger.send({ type: 'ack', position });
      expect(await reply).toEqual({ id: 1, ok: true, result: 2, acked: 1 });
    });

    it('answers a send waiting for acknowledgements at once when the server stops', async () => {
      const started = await startServer();
      const backend = await LineClient.connect(started.textPort);
      cleanup.push(() => backend.socket.destroy());
      await init(started.wsUrl, 'u', { recover: true });
      await backend.write(
        JSON.stringify({
          id: 1,
          type: 'sendToUid',
          uid: 'u',
          message: 'm',
          ack: true,
        }) +
          '\n' +
          JSON.stringify({
            id: 2,
            type: 'sendToUid',
            uid: 'u',
            message: 'after',
          }) +
          '\n',
      );
      await sleep(100);
      const stopping = Date.now();
      await started.close();
      expect(Date.now() - stopping).toBeLessThan(1500);
      // The send after it was answered first: replies to sends that wait come by id.
      expect([await backend.next(), await backend.next()]).toEqual([
        { id: 2, ok: true, result: 1 },
        { id: 1, ok: true, result: 1, acked: 0 },
      ]);
    });

    it('answers the lines after a send that waits without waiting for it, and that one by its id', async () => {
      const { wsUrl, textPort, backend } = await server();
      const { client } = await init(wsUrl, 'u', { recover: true });
      const line = (fields: Json) => JSON.stringify(fields) + '\n';
      await backend.write(
        line({
          id: 'paid',
          type: 'sendToUid',
          uid: 'u',
          message: 'm',
          ack: true,
          ack_timeout_ms: 10_000,
        }) +
          line({ id: 2, type: 'getAllClientCount' }) +
          line({ type: 'sendToUid', uid: 'u', message: 'no id' }) +
          line({ id: 3, type: 'isUidOnline', uid: 'u' }),
      );
      expect([await backend.next(), await backend.next()]).toEqual([
        { id: 2, ok: true, result: 1 },
        { id: 3, ok: true, result: true },
      ]);
      const push = await client.nextNonPing();
      expect(await client.nextNonPing()).toMatchObject({
        type: 'push',
        message: 'no id',
      });
      client.send({ type: 'ack', position: push.position });
      expect(await backend.next()).toEqual({
        id: 'paid',
        ok: true,
        result: 1,
        acked: 1,
      });

      // A backend that writes and closes still gets the late reply before the connection ends.
      const closing = await LineClient.connect(textPort);
      cleanup.push(() => closing.socket.destroy());
      closing.socket.end(
        line({
          id: 9,
          type: 'sendToUid',
          uid: 'u',
          message: 'last',
          ack: true,
          ack_timeout_ms: 10_000,
        }),
      );
      const last = await client.nextNonPing();
      client.send({ type: 'ack', position: last.position });
      expect(await closing.next()).toEqual({
        id: 9,
        ok: true,
        result: 1,
        acked: 1,
      });
      await closing.closed;
    });

    it('stops reading a connection that has 1000 sends waiting for acknowledgements, until some end', async () => {
      const { wsUrl, backend } = await server();
      await init(wsUrl, 'u', { recover: true });
      const waiting = Array.from(
        { length: 1000 },
        (_, i) =>
          JSON.stringify({
            id: i,
            type: 'sendToUid',
            uid: 'u',
            message: i,
            ack: true,
            ack_timeout_ms: 400,
          }) + '\n',
      ).join('');
      const count = (id: string) =>
        JSON.stringify({ id, type: 'getAllClientCount' }) + '\n';
      const asked = Date.now();
      await backend.write(waiting + count('with them'));
      await sleep(5);
      await backend.write(count('count'));
      // A line read with them runs, and is answered, at once.
      expect(await backend.next()).toEqual({
        id: 'with them',
        ok: true,
        result: 1,
      });
      expect(Date.now() - asked).toBeLessThan(390);
      const first = await backend.next();
      // A line read after them runs only once a wait ends (unanswered, here): its reply comes after.
      expect(first).toMatchObject({ ok: true, acked: 0 });
      expect(Date.now() - asked).toBeGreaterThanOrEqual(390);
      const replies = [first];
      for (let i = 0; i < 1000; i++) {
        replies.push(await backend.next());
      }
      expect(replies.filter((reply) => reply.id === 'count')).toEqual([
        { id: 'count', ok: true, result: 1 },
      ]);
    });

    it('answers with the acknowledgements so far when the time is up', async () => {
      const { wsUrl, backend } = await server();
      await init(wsUrl, 'u', { recover: true });
      const asked = Date.now();
      expect(
        await backend.request({
          type: 'sendToUid',
          uid: 'u',
          message: 'm',
          ack: true,
          ack_timeout_ms: 300,
        }),
      ).toEqual({ id: 1, ok: true, result: 1, acked: 0 });
      expect(Date.now() - asked).toBeGreaterThanOrEqual(290);
    });

    it('counts the acknowledgement of a push kept for a uid that binds within the time', async () => {
      const { wsUrl, backend } = await server();
      const reply = backend.request({
        type: 'send',
        task_id: 'qr',
        openid: 'o',
        ack: true,
      });
      await sleep(100);
      const { client } = await init(wsUrl, 'qr', { recover: true });
      const push = await client.nextNonPing();
      expect(push).toMatchObject({
        ack: true,
        message: { type: 'login_status', openid: 'o' },
      });
      client.send({ type: 'ack', position: push.position });
      expect(await reply).toEqual({
        id: 1,
        ok: true,
        result: 0,
        buffered: 1,
        acked: 1,
      });
    });

    it('does not wait for connections that cannot acknowledge (no recover)', async () => {
      const { wsUrl, backend } = await server();
      await init(wsUrl, 'u');
      expect(
        await backend.request({
          type: 'sendToUid',
          uid: 'u',
          message: 'm',
          ack: true,
        }),
      ).toEqual({ id: 1, ok: true, result: 1, acked: 0 });
    });

    it('PushClient goes on with other requests while a send waits for acknowledgements, on its one connection', async () => {
      const { wsUrl, textPort, ws } = await server();
      const { client } = await init(wsUrl, 'u', { recover: true });
      const push = new PushClient({ port: textPort });
      cleanup.push(() => push.close());
      const receipt = push.sendToUidWithReceipt('u', 'm', {
        ack: true,
        ackTimeoutMs: 3000,
      });
      const envelope = await client.nextNonPing();
      // Answered while the acknowledgement is still awaited.
      expect(await push.getAllClientCount()).toBe(1);
      client.send({ type: 'ack', position: envelope.position });
      expect(await receipt).toEqual({ connections: 1, buffered: 0, acked: 1 });
      // The spec's own backend, and the PushClient's.
      expect(await metric(ws.port, 'pushgate_text_connections')).toBe(2);
    });
  });
});
