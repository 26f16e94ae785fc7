import {
  type ArgumentMetadata,
  Controller,
  Injectable,
  type INestApplication,
  Module,
  type ModuleMetadata,
  type PipeTransform,
} from '@nestjs/common';
import { APP_PIPE, NestFactory } from '@nestjs/core';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  type MicroserviceOptions,
  Transport,
} from '@nestjs/microservices';
import {
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { firstValueFrom, map, type Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { PushError } from '../src/common/errors/push.error.js';
import { loadConfig } from '../src/config/load-config.js';
import type { PushConfig } from '../src/config/push-config.js';
import type { BindGuard, BindRequest } from '../src/gateway/bind-guard.js';
import { PushgateEvent } from '../src/events/pushgate-events.js';
import { PushgateModule } from '../src/pushgate.module.js';
import { PushClient } from '../src/sdk/node/push-client.js';
import { startPushgate } from '../src/start-pushgate.js';
import { WsClient } from './support/ws-client.js';
import { useCleanup } from './support/cleanup.js';

/** Settings for an embedded Pushgate on free loopback ports. */
const settings = (): PushConfig =>
  loadConfig(
    {},
    {
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
      LOG_LEVEL: 'fatal',
    },
  );

describe('extending Pushgate from an application', () => {
  const cleanup = useCleanup();

  /** Boots an application module the way a team would, and returns its addresses. */
  async function boot(metadata: ModuleMetadata) {
    @Module(metadata)
    class HostModule {}
    const app: INestApplication = await NestFactory.create(HostModule, {
      logger: false,
    });
    cleanup.push(() => app.close());
    const { ws, text } = await startPushgate(app);
    const push = new PushClient({ port: text.port });
    cleanup.push(() => push.close());
    return { app, url: `ws://127.0.0.1:${ws.port}`, push };
  }

  /** Pushgate with its settings as the tests give them, and the application's own parts. */
  const withParts = (
    parts: Pick<ModuleMetadata, 'providers' | 'controllers'>,
  ) => boot({ imports: [PushgateModule.forRoot(settings())], ...parts });

  async function browser(url: string, path = '/'): Promise<WsClient> {
    const tab = await WsClient.connect(url + path);
    cleanup.push(() => tab.socket.terminate());
    return tab;
  }

  describe('a BindGuard', () => {
    @Injectable()
    class TokenStore {
      /** The uid each token may bind, as the team's database would say. */
      readonly uidOf = new Map([
        ['token-of-ann', 'ann'],
        ['token-of-bob', 'bob'],
      ]);
    }

    @Module({ providers: [TokenStore], exports: [TokenStore] })
    class TokensModule {}

    /** Asks the store, asynchronously, for the token in the init message or the URL. */
    @Injectable()
    class TokenGuard implements BindGuard {
      constructor(private readonly store: TokenStore) {}

      async canBind(request: BindRequest): Promise<boolean> {
        await new Promise((resolve) => setImmediate(resolve));
        const { token } = request.message;
        const fromUrl = new URL(
          request.handshake.url,
          'ws://x',
        ).searchParams.get('token');
        return (
          this.store.uidOf.get(
            typeof token === 'string' ? token : (fromUrl ?? ''),
          ) === request.uid
        );
      }
    }

    /** Pushgate with `TokenGuard` deciding every binding. */
    const withTokenGuard = () =>
      boot({
        imports: [
          PushgateModule.forRootAsync({
            imports: [TokensModule],
            useFactory: settings,
            bindGuard: TokenGuard,
          }),
        ],
      });

    it('lets a connection bind only the uid it may, answering unauthorized otherwise', async () => {
      const { url, push } = await withTokenGuard();
      const tab = await browser(url);

      tab.send({ type: 'init', task_id: 'bob', token: 'token-of-ann' });
      expect(await tab.next()).toEqual({
        type: 'error',
        code: 'unauthorized',
        message: 'this connection may not bind uid "bob"',
      });
      expect(await push.isUidOnline('bob')).toBe(false);

      tab.send({ type: 'init', task_id: 'ann', token: 'token-of-ann' });
      expect(await tab.next()).toMatchObject({
        type: 'init_ok',
        task_id: 'ann',
      });
      expect(await push.isUidOnline('ann')).toBe(true);
    });

    it('handles the frames after an init only once its guard has decided, in the order sent', async () => {
      const { url } = await withTokenGuard();
      const tab = await browser(url);

      // One burst: the guard answers the init a turn of the event loop later, and the frames
      // behind it wait for that, however quickly each of them could be answered on its own.
      tab.send({ type: 'init', task_id: 'ann', token: 'token-of-ann' });
      tab.send({ type: 'nope' });
      tab.send('not json');
      tab.send({ type: 'init', task_id: 'bob', token: 'token-of-ann' });
      tab.send({ type: 'nope again' });

      expect(await tab.next()).toMatchObject({
        type: 'init_ok',
        task_id: 'ann',
      });
      expect(await tab.next()).toMatchObject({ code: 'unknown_type' });
      expect(await tab.next()).toMatchObject({ code: 'bad_json' });
      expect(await tab.next()).toMatchObject({ code: 'unauthorized' });
      expect(await tab.next()).toMatchObject({ code: 'unknown_type' });
    });

    it('sees the URL and headers of the handshake and the whole init message', async () => {
      const seen: BindRequest[] = [];
      @Injectable()
      class RecordingGuard implements BindGuard {
        canBind(request: BindRequest): boolean {
          seen.push(request);
          return true;
        }
      }
      const { url } = await boot({
        imports: [
          PushgateModule.forRoot(
            Object.assign(settings(), { bindGuard: RecordingGuard }),
          ),
        ],
      });
      const tab = await browser(url, '/?token=abc');
      tab.send({ type: 'init', task_id: 'bob', extra: [1] });

      const { client_id } = await tab.next();
      const [request] = seen;
      expect(request.uid).toBe('bob');
      expect(request.client.id).toBe(client_id);
      expect(request.message).toMatchObject({
        type: 'init',
        task_id: 'bob',
        extra: [1],
      });
      expect(request.handshake.url).toBe('/?token=abc');
      expect(request.handshake.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(request.handshake.remoteAddress).toBe('127.0.0.1');
    });
  });

  describe('lifecycle events', () => {
    @Injectable()
    class Listeners {
      static events: Array<[string, unknown]> = [];

      @OnEvent(PushgateEvent.Connected)
      connected(payload: unknown) {
        Listeners.events.push([PushgateEvent.Connected, payload]);
      }

      @OnEvent(PushgateEvent.Bound)
      bound(payload: unknown) {
        Listeners.events.push([PushgateEvent.Bound, payload]);
      }

      @OnEvent(PushgateEvent.Unbound)
      unbound(payload: unknown) {
        Listeners.events.push([PushgateEvent.Unbound, payload]);
      }

      @OnEvent(PushgateEvent.Joined)
      joined(payload: unknown) {
        Listeners.events.push([PushgateEvent.Joined, payload]);
      }

      @OnEvent(PushgateEvent.Left)
      left(payload: unknown) {
        Listeners.events.push([PushgateEvent.Left, payload]);
      }

      @OnEvent(PushgateEvent.Disconnected)
      disconnected(payload: unknown) {
        Listeners.events.push([PushgateEvent.Disconnected, payload]);
      }

      @OnEvent(PushgateEvent.Bound)
      broken(): void {
        throw new Error('a listener bug must not break the binding');
      }
    }

    it('reach @OnEvent listeners: connect, bound, unbound, joined, left, disconnected', async () => {
      Listeners.events = [];
      const { url, push } = await boot({
        imports: [
          EventEmitterModule.forRoot(),
          PushgateModule.forRoot(settings()),
        ],
        providers: [Listeners],
      });
      const tab = await browser(url);
      const id = (await tab.init('first')).client_id;
      await push.bindUid(id, 'second');
      await push.joinGroup(id, 'g1');
      await push.joinGroup(id, 'g2');
      await push.leaveGroup(id, 'g1');
      await push.ungroup('g2');
      await push.joinGroup(id, 'g3');
      tab.socket.close(4000, 'tab closed');

      await expect.poll(() => Listeners.events.length).toBe(10);
      expect(Listeners.events).toEqual([
        [
          'pushgate.client.connected',
          { client_id: id, remote_address: '127.0.0.1' },
        ],
        ['pushgate.client.bound', { client_id: id, uid: 'first' }],
        ['pushgate.client.unbound', { client_id: id, uid: 'first' }],
        ['pushgate.client.bound', { client_id: id, uid: 'second' }],
        ['pushgate.client.joined', { client_id: id, group: 'g1' }],
        ['pushgate.client.joined', { client_id: id, group: 'g2' }],
        ['pushgate.client.left', { client_id: id, group: 'g1' }],
        ['pushgate.client.left', { client_id: id, group: 'g2' }],
        ['pushgate.client.joined', { client_id: id, group: 'g3' }],
        [
          'pushgate.client.disconnected',
          {
            client_id: id,
            uid: 'second',
            groups: ['g3'],
            code: 4000,
            reason: 'tab closed',
          },
        ],
      ]);
    });
  });

  describe('an application gateway', () => {
    /** What the gateway's hooks saw, in order. */
    const seen: string[] = [];

    @WebSocketGateway()
    class ClockGateway implements OnGatewayConnection, OnGatewayDisconnect {
      handleConnection(): void {
        seen.push('connected');
      }

      handleDisconnect(): void {
        seen.push('disconnected');
      }

      /** Answers with the last value of an observable: Nest's contract for a reply. */
      @SubscribeMessage('time')
      time(): Observable<{ type: string; n: number }> {
        return of(1, 2, 3).pipe(map((n) => ({ type: 'tick', n })));
      }

      /** The same, from an async handler. */
      @SubscribeMessage('later')
      async later(): Promise<Observable<{ type: string }>> {
        await new Promise((resolve) => setImmediate(resolve));
        return of({ type: 'later_ok' });
      }
    }

    it("gets its connection hooks once each, and an observable's last value as the reply", async () => {
      const { url } = await withParts({ providers: [ClockGateway] });
      const tab = await browser(url);
      await tab.init('clock');
      tab.send({ type: 'time' });
      expect(await tab.nextNonPing()).toEqual({ type: 'tick', n: 3 });
      tab.send({ type: 'later' });
      expect(await tab.nextNonPing()).toEqual({ type: 'later_ok' });
      await tab.close();

      await expect.poll(() => seen).toEqual(['connected', 'disconnected']);
    });
  });

  describe("the application's global pipes", () => {
    /** What the pipe was handed: a message body as it came, any other argument by its kind. */
    const piped: unknown[] = [];

    @Injectable()
    class RecordingPipe implements PipeTransform {
      transform(value: unknown, { type }: ArgumentMetadata): unknown {
        piped.push(type === 'body' ? value : type);
        return value;
      }
    }

    @WebSocketGateway()
    class EchoGateway {
      @SubscribeMessage('echo')
      echo(@MessageBody() body: { text: string }) {
        return { type: 'echoed', text: body.text };
      }
    }

    it("run for the application's own handlers, not for Pushgate's init, pong and ack", async () => {
      const { url } = await withParts({
        providers: [
          EchoGateway,
          { provide: APP_PIPE, useClass: RecordingPipe },
        ],
      });
      const tab = await browser(url);
      await tab.init('ann');
      tab.send({ type: 'pong' });
      tab.send({ type: 'ack', position: 1 });
      tab.send({ type: 'echo', text: 'hi' });

      expect(await tab.nextNonPing()).toEqual({ type: 'echoed', text: 'hi' });
      expect(piped).toEqual([{ type: 'echo', text: 'hi' }]);
    });
  });

  describe('reserved names', () => {
    it('refuses to start when an application gateway takes init', async () => {
      @WebSocketGateway()
      class GreedyGateway {
        @SubscribeMessage('init')
        init() {
          return 'mine';
        }
      }
      await expect(withParts({ providers: [GreedyGateway] })).rejects.toThrow(
        'GreedyGateway.init subscribes to "init", which Pushgate reserves',
      );
    });

    it('refuses to start when an application gateway asks for a WebSocket of its own', async () => {
      @WebSocketGateway({ path: '/admin' })
      class AdminGateway {
        @SubscribeMessage('stats')
        stats() {
          return 'stats';
        }
      }
      await expect(withParts({ providers: [AdminGateway] })).rejects.toThrow(
        `a gateway asks for a WebSocket server on path "/admin": Pushgate's adapter serves one`,
      );
    });

    it('refuses to start when an application gateway takes a backend command', async () => {
      @WebSocketGateway()
      class SneakyGateway {
        @SubscribeMessage('sendToAll')
        broadcast() {
          return 'everyone';
        }
      }
      await expect(withParts({ providers: [SneakyGateway] })).rejects.toThrow(
        'SneakyGateway.broadcast subscribes to "sendToAll", which Pushgate reserves',
      );
    });

    it('refuses to start when an application controller takes a built-in text command', async () => {
      @Controller()
      class ShadowController {
        @MessagePattern('send')
        send() {
          return 0;
        }
      }
      await expect(
        withParts({ controllers: [ShadowController] }),
      ).rejects.toThrow(
        /Controller\.send and \w+Controller\.send both handle the text command "send"/,
      );
    });
  });

  describe("a microservice of the application's own", () => {
    const SECRET = 'a-text-port-secret-of-some-length';

    @Controller()
    class HostCommands {
      @MessagePattern('hostPing', Transport.TCP)
      ping(): string {
        return 'pong';
      }

      // The same name as Pushgate's command, on the application's transport: no clash.
      @MessagePattern('send', Transport.TCP)
      send(): string {
        return 'the application sent it';
      }
    }

    /**
     * Pushgate and a TCP microservice of the application's, which the application starts before
     * `startPushgate` (as a hybrid application's main.ts does) or after it.
     */
    async function hybrid(
      order: 'before' | 'after',
    ): Promise<{ url: string; push: PushClient; host: ClientProxy }> {
      @Module({
        imports: [
          PushgateModule.forRoot(
            Object.assign(settings(), { textSecret: SECRET }),
          ),
        ],
        controllers: [HostCommands],
      })
      class HybridModule {}
      const app: INestApplication = await NestFactory.create(HybridModule, {
        logger: false,
      });
      cleanup.push(() => app.close());
      const own = app.connectMicroservice<MicroserviceOptions>({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port: 0 },
      });
      if (order === 'before') {
        await app.startAllMicroservices();
      }
      const { ws, text } = await startPushgate(app);
      if (order === 'after') {
        await app.startAllMicroservices();
      }
      const push = new PushClient({ port: text.port, secret: SECRET });
      cleanup.push(() => push.close());
      const host = ClientProxyFactory.create({
        transport: Transport.TCP,
        options: {
          host: '127.0.0.1',
          port: (own.unwrap<NetServer>().address() as AddressInfo).port,
        },
      });
      cleanup.push(() => host.close());
      return { url: `ws://127.0.0.1:${ws.port}`, push, host };
    }

    it("serves its own commands and none of Pushgate's, which need the text port's secret", async () => {
      const { url, push, host } = await hybrid('before');
      const tab = await WsClient.bound(url, 'ann');
      cleanup.push(() => tab.socket.terminate());
      const call = (pattern: string, data: unknown) =>
        firstValueFrom(host.send<unknown>(pattern, data));

      expect(await call('hostPing', {})).toBe('pong');
      expect(await call('send', { task_id: 'ann', openid: 'o' })).toBe(
        'the application sent it',
      );
      for (const [pattern, data] of [
        ['getAllUidList', {}],
        ['sendToAll', { message: { type: 'forged' } }],
      ] as const) {
        await expect(call(pattern, data)).rejects.toMatch(
          /no matching message handler/,
        );
      }
      expect(await push.getAllUidList()).toEqual(['ann']);
      await push.sendToUid('ann', { type: 'real' });
      expect(await tab.next()).toEqual({ type: 'real' });
    });

    it('may be started after Pushgate too', async () => {
      const { host, push } = await hybrid('after');

      expect(await firstValueFrom(host.send('hostPing', {}))).toBe('pong');
      expect(await push.getAllUidCount()).toBe(0);
    });
  });

  it("answers an application command's own error code on the text port", async () => {
    @Controller()
    class StockController {
      @MessagePattern('reserve')
      reserve(): never {
        throw new PushError('out_of_stock', 'nothing left');
      }
    }
    const { push } = await withParts({ controllers: [StockController] });
    await expect(push.request('reserve')).rejects.toMatchObject({
      code: 'out_of_stock',
      message: 'nothing left',
    });
  });
});
