import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/mint-token.js';
import { PushClient } from '../src/sdk/node/push-client.js';
import { LineClient } from './support/line-client.js';
import { startServer, type TestServer } from './support/server.js';
import { ServerProcess } from './support/server-process.js';
import { WsClient } from './support/ws-client.js';
import { useCleanup } from './support/cleanup.js';

const JWT_SECRET = 'jwt-secret-of-at-least-32-characters';
const TEXT_SECRET = 'text-secret-16+chars';
const TLS_CERT = fileURLToPath(
  new URL('fixtures/tls/cert.pem', import.meta.url),
);
const TLS_KEY = fileURLToPath(new URL('fixtures/tls/key.pem', import.meta.url));

describe('proving who may bind and who may push', () => {
  const cleanup = useCleanup();

  async function server(env: Record<string, string>): Promise<TestServer> {
    const started = await startServer(env);
    cleanup.push(() => started.close());
    return started;
  }

  async function tab(url: string): Promise<WsClient> {
    const client = await WsClient.connect(url);
    cleanup.push(() => client.socket.terminate());
    return client;
  }

  function client(options: ConstructorParameters<typeof PushClient>[0]) {
    const push = new PushClient({ timeoutMs: 2000, ...options });
    cleanup.push(() => push.close());
    return push;
  }

  describe('with PUSH_JWT_SECRET, init', () => {
    const env = { PUSH_JWT_SECRET: JWT_SECRET };

    it('binds with a token whose sub is the uid, and the uid gets its pushes', async () => {
      const { wsUrl, textPort } = await server(env);
      const browser = await tab(wsUrl);
      const token = await mintToken(JWT_SECRET, 'user 42', 60);
      browser.send({ type: 'init', task_id: 'user 42', token });
      expect(await browser.nextNonPing()).toMatchObject({
        type: 'init_ok',
        task_id: 'user 42',
      });
      const push = client({ port: textPort });
      expect(await push.sendToUid('user 42', 'hi')).toBe(1);
      expect(await browser.nextNonPing()).toBe('hi');
    });

    it('binds with the token in the URL', async () => {
      const { wsUrl } = await server(env);
      const token = await mintToken(JWT_SECRET, 'u', 60);
      const browser = await tab(`${wsUrl}/?token=${token}`);
      expect(await browser.init('u')).toMatchObject({ type: 'init_ok' });
    });

    it.each([
      ['no token', () => Promise.resolve(undefined), /a token is required/],
      [
        'a token for another uid',
        () => mintToken(JWT_SECRET, 'alice', 60),
        /the token is not for uid "bob"/,
      ],
      [
        'an expired token',
        () =>
          new SignJWT({ sub: 'bob' })
            .setProtectedHeader({ alg: 'HS256' })
            .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
            .sign(new TextEncoder().encode(JWT_SECRET)),
        /the token has expired/,
      ],
      [
        'a forged token',
        () => mintToken('another-secret-of-32-characters!!!!!', 'bob', 60),
        /the token is not valid/,
      ],
    ])(
      'refuses %s with unauthorized, and leaves the uid unbound',
      async (_, token, reason) => {
        const { wsUrl, textPort } = await server(env);
        const browser = await tab(wsUrl);
        browser.send({ type: 'init', task_id: 'bob', token: await token() });
        expect(await browser.nextNonPing()).toMatchObject({
          type: 'error',
          code: 'unauthorized',
          message: expect.stringMatching(reason),
        });
        const push = client({ port: textPort });
        expect(await push.isUidOnline('bob')).toBe(false);
        expect(await push.sendToUid('bob', 'secret')).toBe(0);
      },
    );

    it('closes the connection with 4401 after three refusals in a row', async () => {
      const { wsUrl } = await server(env);
      const browser = await tab(wsUrl);
      for (let attempt = 1; attempt <= 3; attempt++) {
        browser.send({ type: 'init', task_id: 'u', token: 'guess' });
        expect(await browser.nextNonPing()).toMatchObject({
          code: 'unauthorized',
        });
      }
      expect(await browser.closed).toEqual({
        code: 4401,
        reason: 'unauthorized',
      });
    });

    it('counts refusals in a row only: a good init in between starts again', async () => {
      const { wsUrl } = await server(env);
      const browser = await tab(wsUrl);
      const good = await mintToken(JWT_SECRET, 'u', 60);
      for (const token of ['bad', 'bad', good, 'bad', 'bad', good]) {
        browser.send({ type: 'init', task_id: 'u', token });
        expect((await browser.nextNonPing()).type).toBe(
          token === good ? 'init_ok' : 'error',
        );
      }
    });
  });

  describe('with PUSH_TEXT_SECRET, the text port', () => {
    const env = { PUSH_TEXT_SECRET: TEXT_SECRET };

    it('runs the commands of a connection whose first line is the auth line', async () => {
      const { wsUrl, textPort } = await server(env);
      await WsClient.bound(wsUrl, 'u').then((browser) =>
        cleanup.push(() => browser.socket.terminate()),
      );
      const php = await LineClient.connect(textPort);
      cleanup.push(() => php.socket.destroy());
      await php.send({ type: 'auth', secret: TEXT_SECRET });
      expect(
        await php.request({ type: 'sendToUid', uid: 'u', message: 'm' }),
      ).toMatchObject({ ok: true, result: 1 });
    });

    it.each([
      ['a command first', { type: 'sendToUid', uid: 'u', message: 'm' }],
      ['a wrong secret', { type: 'auth', secret: 'wrong-secret-123456' }],
      ['no secret', { type: 'auth' }],
    ])(
      'answers %s with unauthorized, closes, and runs nothing it sent',
      async (_, first) => {
        const { wsUrl, textPort } = await server(env);
        const browser = await WsClient.bound(wsUrl, 'u');
        cleanup.push(() => browser.socket.terminate());
        const intruder = await LineClient.connect(textPort);
        await intruder.write(
          JSON.stringify(first) +
            '\n' +
            JSON.stringify({ type: 'sendToUid', uid: 'u', message: 'm' }) +
            '\n',
        );
        expect(await intruder.next()).toMatchObject({
          ok: false,
          error: { code: 'unauthorized' },
        });
        await intruder.closed;
        // The intruder's push never ran: the first the browser sees is the legitimate one.
        const push = client({ port: textPort, secret: TEXT_SECRET });
        expect(await push.sendToUid('u', 'legit')).toBe(1);
        expect(await browser.nextNonPing()).toBe('legit');
      },
    );

    it('closes a connection that sends no auth line within 10 s', async () => {
      const { textPort } = await server(env);
      const silent = await LineClient.connect(textPort);
      const opened = Date.now();
      expect(await silent.next(15_000)).toMatchObject({
        ok: false,
        error: { code: 'unauthorized', message: 'no auth line within 10 s' },
      });
      await silent.closed;
      expect(Date.now() - opened).toBeGreaterThanOrEqual(9_900);
    }, 20_000);

    it('closes a refused connection even when the backend keeps its side open', async () => {
      const { textPort } = await server(env);
      const intruder = await LineClient.connect(textPort);
      await intruder.send({ type: 'auth', secret: 'wrong-secret-123456' });
      expect(await intruder.next()).toMatchObject({
        error: { code: 'unauthorized' },
      });
      await intruder.closed; // it never ended its side
    });

    it('holds at most 1024 connections waiting to authenticate; more are dropped at once', async () => {
      const { textPort } = await server(env);
      const waiting = await Promise.all(
        Array.from({ length: 1024 }, () => LineClient.connect(textPort)),
      );
      cleanup.push(() => waiting.forEach((line) => line.socket.destroy()));
      const extra = await LineClient.connect(textPort);
      await extra.closed;
      waiting.forEach((line) => line.socket.destroy());
      await sleep(100);
      const push = client({ port: textPort, secret: TEXT_SECRET });
      expect(await push.getAllClientCount()).toBe(0);
    });

    it('is reached by PushClient with the secret; a wrong one closes the client with unauthorized', async () => {
      const { textPort } = await server(env);
      expect(
        await client({
          port: textPort,
          secret: TEXT_SECRET,
        }).getAllClientCount(),
      ).toBe(0);
      const wrong = client({ port: textPort, secret: 'wrong-secret-123456' });
      await expect(wrong.getAllClientCount()).rejects.toMatchObject({
        code: 'unauthorized',
      });
      expect(wrong.state).toBe('closed');
      await expect(wrong.getAllClientCount()).rejects.toMatchObject({
        code: 'unauthorized',
      });
    });

    it('accepts the auth line, as a no-op, from a server without a secret', async () => {
      const { textPort } = await server({});
      expect(
        await client({
          port: textPort,
          secret: TEXT_SECRET,
        }).getAllClientCount(),
      ).toBe(0);
    });
  });

  it('refuses to start with the text port on a non-loopback address and no secret', async () => {
    const process = ServerProcess.start({
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_HOST: '0.0.0.0',
      PUSH_TEXT_PORT: '0',
    });
    cleanup.push(() => process.kill());
    expect(await process.exited).toEqual({ code: 1, signal: null });
    expect(process.output.join('\n')).toContain(
      'PUSH_TEXT_SECRET must be at least 16 characters; it is required when PUSH_TEXT_HOST is not a loopback address',
    );
  });

  describe('with PUSH_TEXT_TLS_CERT and PUSH_TEXT_TLS_KEY, the text port', () => {
    const env = { PUSH_TEXT_TLS_CERT: TLS_CERT, PUSH_TEXT_TLS_KEY: TLS_KEY };

    it('speaks TLS to a client that trusts the certificate', async () => {
      const { wsUrl, textPort } = await server(env);
      const browser = await WsClient.bound(wsUrl, 'u');
      cleanup.push(() => browser.socket.terminate());
      const push = client({
        port: textPort,
        tls: { ca: readFileSync(TLS_CERT) },
      });
      expect(await push.sendToUid('u', 'over tls')).toBe(1);
      expect(await browser.nextNonPing()).toBe('over tls');
    });

    it('completes no handshake with a client that does not trust it, and serves others', async () => {
      const { textPort } = await server(env);
      const handshake = await new Promise<string>((resolve) => {
        const socket = connectTls({ port: textPort, host: '127.0.0.1' });
        socket.once('secureConnect', () => resolve('connected'));
        socket.once('error', (error: NodeJS.ErrnoException) =>
          resolve(error.code ?? error.message),
        );
      });
      expect(handshake).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      const plain = await LineClient.connect(textPort);
      await plain.send({ type: 'getAllClientCount', id: 1 });
      await plain.closed;
      expect(
        await client({
          port: textPort,
          tls: { ca: readFileSync(TLS_CERT) },
        }).getAllClientCount(),
      ).toBe(0);
    });
  });
});
