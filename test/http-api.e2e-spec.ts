import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.js';
import { type Json, WsClient } from './support/ws-client.js';

const KEY = 'an api key of some length';

describe('HTTP on the WebSocket port', () => {
  let server: TestServer;
  const tabs: WsClient[] = [];

  afterEach(async () => {
    tabs.splice(0).forEach((tab) => tab.socket.terminate());
    await server.close();
  });

  function url(path: string): string {
    return `http://127.0.0.1:${server.ws.port}${path}`;
  }

  async function post(path: string, body: Json, key: string | null = KEY) {
    const response = await fetch(url(path), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: await response.json(),
      headers: response.headers,
    };
  }

  describe('POST /api/push and /api/commands', () => {
    it('runs a command as the text port would, with the same reply', async () => {
      server = await startServer({ PUSH_API_KEY: KEY });
      const tab = await WsClient.bound(server.wsUrl, 'u');
      tabs.push(tab);

      expect(
        await post('/api/push', {
          type: 'sendToUid',
          uid: 'u',
          message: { hi: 1 },
        }),
      ).toMatchObject({
        status: 200,
        body: { ok: true, result: 1 },
      });
      expect(await tab.next()).toEqual({ hi: 1 });
      expect(
        (
          await post('/api/push', {
            id: 'x',
            type: 'send',
            task_id: 'u',
            openid: 'o',
          })
        ).body,
      ).toEqual({
        id: 'x',
        ok: true,
        result: 1,
      });
      expect(await tab.next()).toEqual({
        type: 'login_status',
        openid: 'o',
        data: null,
      });
    });

    it('answers errors with the same codes, and status 400', async () => {
      server = await startServer({ PUSH_API_KEY: KEY });
      for (const [body, code] of [
        ['{"type":', 'bad_json'],
        [[1], 'invalid_message'],
        [{ type: 'nope' }, 'unknown_type'],
        [{ type: 'sendToUid', message: 'm' }, 'invalid_message'],
        [
          {
            type: 'send',
            task_id: 'u',
            openid: 'o',
            data: { ['__proto__']: 1 },
          },
          'invalid_message',
        ],
      ] as Array<[Json, string]>) {
        const reply = await post('/api/push', body);
        expect(reply.status, JSON.stringify(body)).toBe(400);
        expect(reply.body).toEqual({
          ok: false,
          error: { code, message: expect.any(String) },
        });
      }
    });

    it('runs a batch in order and answers each command', async () => {
      server = await startServer({ PUSH_API_KEY: KEY });
      const tab = await WsClient.bound(server.wsUrl, 'u');
      tabs.push(tab);
      const { status, body } = await post('/api/commands', [
        { type: 'sendToUid', uid: 'u', message: 'first' },
        { type: 'nope' },
        { type: 'sendToUid', uid: 'u', message: 'second' },
        { id: 7, type: 'getAllUidList' },
      ]);
      expect(status).toBe(200);
      expect(body).toEqual([
        { ok: true, result: 1 },
        {
          ok: false,
          error: { code: 'unknown_type', message: 'unknown type "nope"' },
        },
        { ok: true, result: 1 },
        { id: 7, ok: true, result: ['u'] },
      ]);
      expect([await tab.next(), await tab.next()]).toEqual(['first', 'second']);
      expect(
        (await post('/api/commands', { type: 'getAllUidList' })).status,
      ).toBe(400);
    });

    it('refuses a request without the key with 401, and a body over the limit with 413', async () => {
      server = await startServer({ PUSH_API_KEY: KEY });
      for (const key of [null, 'wrong key, of the same kind of length']) {
        expect(
          await post('/api/push', { type: 'getAllClientCount' }, key),
        ).toMatchObject({
          status: 401,
          body: { ok: false, error: { code: 'unauthorized' } },
        });
      }
      const huge = { type: 'sendToAll', message: 'x'.repeat(2 * 1024 * 1024) };
      expect(await post('/api/push', huge)).toMatchObject({
        status: 413,
        body: { ok: false, error: { code: 'line_too_long' } },
      });
    });

    it('does not exist without PUSH_API_KEY', async () => {
      server = await startServer();
      expect(
        (await post('/api/push', { type: 'getAllClientCount' })).status,
      ).toBe(404);
    });

    it('gives every request an id, keeping a sane one the caller sent', async () => {
      server = await startServer({ PUSH_API_KEY: KEY });
      const generated = await post('/api/push', { type: 'getAllClientCount' });
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const given = await fetch(url('/health/live'), {
        headers: { 'x-request-id': 'trace-42' },
      });
      expect(given.headers.get('x-request-id')).toBe('trace-42');
    });
  });

  describe('health', () => {
    it('is live and ready once started, and not ready while shutting down', async () => {
      server = await startServer();
      expect((await fetch(url('/health/live'))).status).toBe(200);
      const ready = await fetch(url('/health/ready'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        info: { pushgate: { status: 'up' } },
      });

      // A text connection that never ends keeps the shutdown's first phase running for a while.
      const hanging = await import('node:net').then(({ connect }) =>
        connect(server.textPort, '127.0.0.1'),
      );
      await new Promise((resolve) => hanging.once('connect', resolve));
      const closing = server.close();
      const during = await fetch(url('/health/ready'));
      expect(during.status).toBe(503);
      expect(await during.json()).toMatchObject({
        error: { pushgate: { status: 'down', reason: 'shutting down' } },
      });
      hanging.destroy();
      await closing;
      server = await startServer(); // for afterEach
    });
  });

  describe('GET /metrics', () => {
    it('counts connections, commands, deliveries, errors and latency', async () => {
      server = await startServer({ PUSH_API_KEY: KEY });
      const tab = await WsClient.bound(server.wsUrl, 'u');
      tabs.push(tab);
      await post('/api/push', {
        type: 'sendToUid',
        uid: 'u',
        message: 'hello',
      });
      await post('/api/push', { type: 'nope' });
      await tab.next();

      const response = await fetch(url('/metrics'));
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(/^pushgate_connections 1$/m);
      expect(text).toMatch(/^pushgate_uids 1$/m);
      expect(text).toMatch(
        /^pushgate_messages_received_total\{type="sendToUid"\} 1$/m,
      );
      expect(text).toMatch(
        /^pushgate_messages_received_total\{type="unknown"\} 1$/m,
      );
      expect(text).toMatch(/^pushgate_errors_total\{code="unknown_type"\} 1$/m);
      expect(text).toMatch(/^pushgate_messages_delivered_total 1$/m);
      expect(text).toMatch(/^pushgate_bytes_out_total 5$/m);
      expect(text).toMatch(/^pushgate_push_latency_seconds_count \d+$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    });

    it('moves to a port of its own with PUSH_METRICS_PORT', async () => {
      server = await startServer({ PUSH_METRICS_PORT: '0' });
      expect((await fetch(url('/metrics'))).status).toBe(404);
      const own = await fetch(
        `http://127.0.0.1:${server.metrics!.port}/metrics`,
      );
      expect(own.status).toBe(200);
      expect(await own.text()).toMatch(/^pushgate_connections 0$/m);
    });
  });

  describe('the demo page', () => {
    it('is served at / with the command that pushes to it, unless PUSH_DEMO_PAGE=false', async () => {
      server = await startServer();
      const page = await fetch(url('/'));
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('<title>Pushgate demo</title>');
      expect(html).toContain(`nc -N 127.0.0.1 ${server.textPort}`);
      await server.close();

      server = await startServer({ PUSH_DEMO_PAGE: 'false' });
      expect((await fetch(url('/'))).status).toBe(404);
    });
  });
});
