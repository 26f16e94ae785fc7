import { Controller, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { PushgateModule } from '../src/pushgate.module.js';
import { PushClient } from '../src/sdk/node/push-client.js';
import { startPushgate } from '../src/start-pushgate.js';
import { LineClient } from './support/line-client.js';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';
import { useCleanup } from './support/cleanup.js';
import { metric } from './support/metrics.js';

describe('limits', () => {
  const cleanup = useCleanup();

  async function server(env: Record<string, string>): Promise<TestServer> {
    const started = await startServer(env);
    cleanup.push(() => started.close());
    return started;
  }

  async function tab(
    url: string,
    options?: Parameters<typeof WsClient.connect>[1],
  ): Promise<WsClient> {
    const client = await WsClient.connect(url, options);
    cleanup.push(() => client.socket.terminate());
    return client;
  }

  describe('PUSH_ALLOWED_ORIGINS', () => {
    const env = {
      PUSH_ALLOWED_ORIGINS:
        'https://app.example.com, https://admin.example.com',
    };

    it('refuses upgrades from pages of other origins with 403', async () => {
      const started = await server(env);
      expect(
        await WsClient.refusal(started.wsUrl, {
          origin: 'https://evil.example.net',
        }),
      ).toBe(403);
      expect(
        await metric(
          started.ws.port,
          'pushgate_upgrades_refused_total{reason="origin"}',
        ),
      ).toBe(1);
    });

    it('takes upgrades from each listed origin, and from programs that send no Origin', async () => {
      const { wsUrl } = await server(env);
      for (const origin of [
        'https://app.example.com',
        'https://admin.example.com',
        undefined,
      ]) {
        const browser = await tab(wsUrl, { origin });
        expect(await browser.init('u')).toMatchObject({ type: 'init_ok' });
      }
    });
  });

  describe('connection limits', () => {
    it('refuses upgrades beyond PUSH_MAX_CONNECTIONS with 503, and takes them again once one closes', async () => {
      const { wsUrl } = await server({ PUSH_MAX_CONNECTIONS: '3' });
      const open = await Promise.all([1, 2, 3].map(() => tab(wsUrl)));
      expect(await WsClient.refusal(wsUrl)).toBe(503);
      await open[0].close();
      const another = await tab(wsUrl);
      expect(await another.init('u')).toMatchObject({ type: 'init_ok' });
      expect(await WsClient.refusal(wsUrl)).toBe(503);
    });

    it('refuses upgrades beyond PUSH_MAX_CONNECTIONS_PER_IP from one address only', async () => {
      const { wsUrl } = await server({ PUSH_MAX_CONNECTIONS_PER_IP: '2' });
      await tab(wsUrl, { localAddress: '127.0.0.1' });
      await tab(wsUrl, { localAddress: '127.0.0.1' });
      expect(await WsClient.refusal(wsUrl, { localAddress: '127.0.0.1' })).toBe(
        503,
      );
      const neighbour = await tab(wsUrl, { localAddress: '127.0.0.2' });
      expect(await neighbour.init('u')).toMatchObject({ type: 'init_ok' });
    });
  });

  describe('message rate', () => {
    const env = {
      PUSH_MAX_MESSAGES_PER_SEC: '10',
      PUSH_MAX_MESSAGES_BURST: '5',
    };

    it('warns a client over the rate with rate_limited, then closes it with 1008; others are served', async () => {
      const started = await server(env);
      const { wsUrl, textPort } = started;
      const bystander = await tab(wsUrl);
      await bystander.init('calm');
      const flooder = await tab(wsUrl);
      for (let i = 0; i < 5; i++) {
        flooder.send({ type: 'pong' });
      }
      flooder.send({ type: 'pong' });
      expect(await flooder.nextNonPing()).toMatchObject({
        type: 'error',
        code: 'rate_limited',
      });
      for (let i = 0; i < 200; i++) {
        flooder.send({ type: 'pong' }); // the first closes; the rest go nowhere
      }
      expect(await flooder.closed).toEqual({
        code: 1008,
        reason: 'too many messages',
      });
      expect(
        await metric(started.ws.port, 'pushgate_rate_limit_closes_total'),
      ).toBe(1);
      const push = new PushClient({ port: textPort });
      cleanup.push(() => push.close());
      expect(await push.sendToUid('calm', 'still here')).toBe(1);
      expect(await bystander.nextNonPing()).toBe('still here');
    });

    it('counts WebSocket pings as messages: a ping flood is closed with 1008 too', async () => {
      const { wsUrl } = await server(env);
      const flooder = await tab(wsUrl);
      for (let i = 0; i < 50; i++) {
        flooder.socket.ping();
      }
      expect(await flooder.nextNonPing()).toMatchObject({
        code: 'rate_limited',
      });
      expect((await flooder.closed).code).toBe(1008);
    });

    it('forgets the warning once the client has kept to the rate long enough to refill its burst', async () => {
      const { wsUrl } = await server(env);
      const browser = await tab(wsUrl);
      for (let i = 0; i < 6; i++) {
        browser.send({ type: 'pong' });
      }
      expect(await browser.nextNonPing()).toMatchObject({
        code: 'rate_limited',
      });
      await sleep(700); // 5 tokens at 10 a second, and some slack
      for (let i = 0; i < 6; i++) {
        browser.send({ type: 'pong' });
      }
      expect(await browser.nextNonPing()).toMatchObject({
        code: 'rate_limited',
      });
      expect(browser.socket.readyState).toBe(browser.socket.OPEN);
    });

    it('refuses init beyond PUSH_MAX_INITS_PER_MIN, keeping the binding it has', async () => {
      const { wsUrl, textPort } = await server({ PUSH_MAX_INITS_PER_MIN: '2' });
      const browser = await tab(wsUrl);
      await browser.init('first');
      await browser.init('second');
      browser.send({ type: 'init', task_id: 'third' });
      expect(await browser.nextNonPing()).toMatchObject({
        type: 'error',
        code: 'rate_limited',
        message: expect.stringContaining('PUSH_MAX_INITS_PER_MIN'),
      });
      const push = new PushClient({ port: textPort });
      cleanup.push(() => push.close());
      expect(await push.getUidByClientId(browser.clientId)).toBe('second');
    });
  });

  it('slows a backend that writes faster than its lines run by not reading it, and runs every line', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));

    @Controller()
    class HoldController {
      /** Holds its connection's lines up until the test releases them. */
      @MessagePattern('hold')
      hold(): Promise<boolean> {
        return released.then(() => true);
      }
    }

    @Module({
      imports: [
        PushgateModule.forRoot(
          loadConfig(
            {},
            {
              PUSH_WS_HOST: '127.0.0.1',
              PUSH_WS_PORT: '0',
              PUSH_TEXT_PORT: '0',
              LOG_LEVEL: 'error',
            },
          ),
        ),
      ],
      controllers: [HoldController],
    })
    class HostModule {}

    const app: INestApplication = await NestFactory.create(HostModule, {
      logger: false,
    });
    cleanup.push(() => app.close());
    const { ws, text } = await startPushgate(app);
    const browser = await tab(`ws://127.0.0.1:${ws.port}`);
    await browser.init('u');

    const flood = await LineClient.connect(text.port);
    cleanup.push(() => flood.socket.destroy());
    const line = (i: number) =>
      JSON.stringify({
        type: 'sendToUid',
        uid: 'nobody',
        message: `${i} ${'x'.repeat(16_000)}`,
      }) + '\n';
    const lines = 4096; // 64 MB
    const sent = Buffer.from(
      '{"type":"hold"}\n' +
        Array.from({ length: lines }, (_, i) => line(i)).join('') +
        '{"type":"getAllClientCount","id":"last"}\n',
    );
    flood.socket.write(sent);
    await sleep(500);
    // Pushgate read ahead 1 MiB and stopped; the kernel's buffers hold a few MiB more. The rest
    // waits in the backend's own process, which is where a flood belongs.
    expect(flood.socket.writableLength).toBeGreaterThan(
      sent.length - 24 * 2 ** 20,
    );

    // Meanwhile another backend is served at once.
    const other = new PushClient({ port: text.port });
    cleanup.push(() => other.close());
    expect(await other.sendToUid('u', 'not held up')).toBe(1);
    expect(await browser.nextNonPing()).toBe('not held up');

    release();
    expect(await flood.next(20_000)).toEqual({
      id: 'last',
      ok: true,
      result: 1,
    });
    expect(flood.socket.writableLength).toBe(0);
  });
});
