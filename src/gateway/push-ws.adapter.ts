import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type {
  MessageMappingProperties,
  OnGatewayDisconnect,
} from '@nestjs/websockets';
import { GATEWAY_METADATA } from '@nestjs/websockets/constants.js';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isObservable, lastValueFrom } from 'rxjs';
import { type ServerOptions, WebSocket, WebSocketServer } from 'ws';
import { BinaryFrameError } from '../common/errors/binary-frame.error.js';
import { RateLimitedError } from '../common/errors/rate-limited.error.js';
import { UnknownTypeError } from '../common/errors/unknown-type.error.js';
import { CloseCode } from '../common/protocol/close-code.js';
import { SHUTDOWN_PHASE_MS } from '../common/shutdown.js';
import { PushConfig } from '../config/push-config.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { ConnectionGate } from './connection-gate.service.js';
import { parseClientMessage } from './parse-client-message.js';
import { PushSocket, SETTLED } from './push-socket.js';
import { RateLimit } from './rate-limit.js';
import { sendError } from './send-error.js';

/** Frames of one client that may wait for their turn before the socket stops being read. */
const MAX_WAITING_FRAMES = 16;

/**
 * Nest's `WsAdapter`, with Pushgate's rules at the edge: JSON text frames only, the `type` field
 * selects the handler (through the `messageParser` option), every frame counts as a sign of life,
 * bad input is answered with an error instead of being dropped, and shutdown says goodbye (1001).
 */
export class PushWsAdapter extends WsAdapter {
  private readonly config: PushConfig;
  /** Message type → index of its handler in each socket's `handlers`. */
  private readonly slots = new Map<string, number>();
  private readonly gate: ConnectionGate;
  private readonly metrics: PushMetrics;
  private readonly registry: UidRegistry;
  /** Whether a gateway implements `handleDisconnect`; known once the gateways are bound. */
  private disconnectHandled: boolean | undefined;
  /** `PUSH_MAX_MESSAGES_PER_SEC`, in bursts of `PUSH_MAX_MESSAGES_BURST`. */
  private readonly messageRate: RateLimit;

  constructor(private readonly app: INestApplicationContext) {
    super(app, { messageParser: parseClientMessage });
    this.config = app.get(PushConfig);
    this.gate = app.get(ConnectionGate);
    this.metrics = app.get(PushMetrics);
    this.registry = app.get(UidRegistry);
    this.messageRate = new RateLimit(
      this.config.maxMessagesPerSecond,
      this.config.maxMessagesBurst,
    );
    const receive = (socket: PushSocket, frame: Buffer, isBinary: boolean) =>
      this.receive(socket, frame, isBinary);
    this.onMessage = function (frame, isBinary) {
      receive(this as PushSocket, frame, isBinary);
    };
    const withinRate = (socket: PushSocket) => this.withinRate(socket);
    this.onPing = function (data) {
      const socket = this as PushSocket;
      socket.silentSweeps = 0;
      if (withinRate(socket)) {
        socket.answerPing(data);
      }
    };
  }

  /**
   * The one WebSocket server, on the application's HTTP server at `/`. A gateway declared with a
   * port or a path of its own is refused at start-up: its sockets would miss what Pushgate sets up
   * per connection, and `slots` is one table for one server.
   *
   * The server's upgrades are routed here rather than by the base class, whose listener parses
   * every request's URL to find the server for its path: with one server at `/`, most need no
   * parsing at all.
   */
  override create(port: number, options: Record<string, unknown> = {}) {
    const path = (options.path as string | undefined) ?? '/';
    if (port !== 0 || (path !== '/' && path !== '')) {
      throw new Error(
        `a gateway asks for a WebSocket server on ${port === 0 ? '' : `port ${port}, `}path "${path}": Pushgate's adapter serves one, at "/" on PUSH_WS_PORT. Declare application gateways with @WebSocketGateway() so that they share its connections (see docs/extending.md)`,
      );
    }
    const { path: _, ...wsOptions } = options;
    const server = this.bindErrorHandler(
      new WebSocketServer({
        ...wsOptions,
        noServer: true,
        WebSocket: PushSocket,
        maxPayload: this.config.maxFrameBytes,
        // Origins and connection limits are checked before the upgrade is answered.
        verifyClient: (
          { origin, req }: { origin?: string; req: IncomingMessage },
          done: (ok: boolean, status?: number, reason?: string) => void,
        ) => {
          // The peer's address costs a system call; it is asked for only when it is counted.
          const refusal = this.gate.check(
            origin || undefined,
            this.gate.countsAddresses ? req.socket.remoteAddress : undefined,
          );
          if (refusal === undefined) {
            return done(true);
          }
          this.metrics.upgradeRefused(refusal.limit);
          this.logger.debug(
            `upgrade refused (${refusal.status}): ${refusal.reason}`,
          );
          done(false, refusal.status, refusal.reason);
        },
        // How long a closing socket waits for the peer's close frame before it is destroyed.
        closeTimeout: SHUTDOWN_PHASE_MS,
        // Pings are answered by `onPing`, within the client's rate and its unsent limit.
        autoPong: false,
        // The registry knows every open connection; a second set of them would cost memory and
        // time on every connection.
        clientTracking: false,
        // `closeTimeout` is newer than @types/ws.
      } as ServerOptions<typeof PushSocket>),
    );
    const connected = (socket: WebSocket, request: IncomingMessage) => {
      socket.on('error', this.onSocketError);
      server.emit('connection', socket, request);
    };
    (this.httpServer as HttpServer).on('upgrade', (request, socket, head) => {
      try {
        if (asksForRoot(request)) {
          server.handleUpgrade(request, socket, head, connected);
        } else {
          socket.destroy();
        }
      } catch {
        socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      }
    });
    return server;
  }

  /** The server's own errors; a client socket's are `onSocketError`'s, set up in `create`. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (error) => this.logger.error(error));
    return server;
  }

  /**
   * Replaces the base class's rxjs pipeline per connection with one plain listener. Several
   * gateways may share the server (an embedding application adds its own); their handlers are
   * merged, so that "unknown type" means unknown to all of them. Nest's `transform` (an rxjs
   * chain per message) is not kept: `handle` takes a handler's result the same way without it.
   *
   * A socket keeps only its handlers' callbacks (Nest binds them to the socket); which message
   * type is at which index is in `slots`, one table for all sockets. Nest binds every gateway's
   * handlers to every connection of the server in the same order, so the indexes of the first
   * connection hold for all (there is one server: see `create`).
   */
  override bindMessageHandlers(
    socket: PushSocket,
    handlers: MessageMappingProperties[],
  ): void {
    const offset = socket.handlers?.length ?? 0;
    handlers.forEach(({ message }, index) => {
      // The first gateway to subscribe to a type handles it.
      if (!this.slots.has(message)) {
        this.slots.set(message, offset + index);
      }
    });
    const callbacks = handlers.map((handler) => handler.callback);
    if (socket.handlers !== undefined) {
      socket.handlers = socket.handlers.concat(callbacks);
      return;
    }
    socket.handlers = callbacks;
    socket.on('message', this.onMessage);
    socket.on('ping', this.onPing);
  }

  /**
   * Nest's disconnect callback, as a plain listener: `once` would wrap it in two more objects for
   * as long as the connection lives, and `close` fires only once anyway. Nest hands one over for
   * every connection, but it reaches only gateways that implement `handleDisconnect`: when none
   * does, it is not kept at all (about 150 bytes per connection).
   */
  override bindClientDisconnect(
    socket: PushSocket,
    callback: (...args: unknown[]) => void,
  ): void {
    this.disconnectHandled ??= someGatewayHandlesDisconnect(this.app);
    if (this.disconnectHandled) {
      socket.on('close', callback);
    }
  }

  /**
   * Stops accepting, closes every client with 1001 and waits until all are gone (the gate counts
   * connections until their close handshake ends; the registry forgets them when it begins).
   */
  override async close(server: WebSocketServer): Promise<void> {
    server.close();
    for (const { socket } of this.registry.allClients()) {
      socket.close(CloseCode.GoingAway, 'server shutting down');
    }
    await this.gate.noneOpen();
  }

  // Listeners shared by every socket (`this` in them is the socket): per-connection closures
  // would cost memory for as long as the connection lives.

  /**
   * An error on a client socket is the client breaking the protocol (an oversized frame, invalid
   * UTF-8); `ws` has already closed it with the right code. That is worth a debug line, not an
   * error with a stack trace per misbehaving client.
   */
  private readonly onSocketError = (error: Error) =>
    this.logger.debug(`client socket closed: ${error.message}`);

  /** The `ping` listener of every socket: a ping is a message, within the rate like any other. */
  private readonly onPing: (this: WebSocket, data: Buffer) => void;

  /** The `message` listener of every socket: `this` in it is the socket. */
  private readonly onMessage: (
    this: WebSocket,
    frame: Buffer,
    isBinary: boolean,
  ) => void;

  /**
   * Takes a frame: it counts as a sign of life at once, and runs after the frames before it, so a
   * client's messages are handled in the order it sent them (an `init` before what follows it).
   * A frame with none before it, the usual case, runs at once, without a promise chain. A client
   * with too many frames waiting stops being read, so it is held back by TCP instead of being
   * buffered here.
   */
  private receive(socket: PushSocket, frame: Buffer, isBinary: boolean): void {
    socket.silentSweeps = 0;
    // Frames that arrive after the server closed the connection (for the rate, say) are dropped.
    if (socket.readyState !== WebSocket.OPEN || !this.withinRate(socket)) {
      return;
    }
    if (++socket.waiting === MAX_WAITING_FRAMES) {
      socket.pause();
    }
    const handled =
      socket.waiting === 1
        ? this.handle(socket, frame, isBinary)
        : socket.handled.then(() => this.handle(socket, frame, isBinary));
    // A frame refused before any await (bad JSON, say) is done already, and idle.
    if (socket.waiting > 0) {
      socket.handled = handled;
    }
  }

  /** A frame of the socket's has been handled: the next may run, and reading resumes. */
  private handled(socket: PushSocket): void {
    if (socket.waiting-- === MAX_WAITING_FRAMES) {
      socket.resume();
    }
    if (socket.waiting === 0) {
      // Idle: drop the settled chain instead of keeping it for the connection's lifetime.
      socket.handled = SETTLED;
    }
  }

  /**
   * Whether a frame is within the client's rate (`PUSH_MAX_MESSAGES_PER_SEC`, bursts of
   * `PUSH_MAX_MESSAGES_BURST`). The first frame over it is dropped with a `rate_limited` warning;
   * another before the allowance has refilled closes the connection (1008).
   */
  private withinRate(socket: PushSocket): boolean {
    const now = performance.now();
    if (socket.warned && this.messageRate.isFull(socket.messagesFullAt, now)) {
      socket.warned = false;
    }
    const fullAt = this.messageRate.take(socket.messagesFullAt, now);
    if (fullAt !== undefined) {
      socket.messagesFullAt = fullAt;
      return true;
    }
    if (socket.warned) {
      this.metrics.rateLimitClosed();
      socket.close(CloseCode.PolicyViolation, 'too many messages');
    } else {
      socket.warned = true;
      sendError(
        socket,
        new RateLimitedError(
          `more than ${this.config.maxMessagesPerSecond} messages a second (PUSH_MAX_MESSAGES_PER_SEC); this one was dropped, and the next too many closes the connection`,
        ),
      );
    }
    return false;
  }

  /**
   * Runs a frame's handler and writes its reply; never rejects. Nest's handler wrapper has
   * already answered a failure through the exception filter; what still comes out is a bug.
   */
  private async handle(
    socket: PushSocket,
    frame: Buffer,
    isBinary: boolean,
  ): Promise<void> {
    try {
      const message = this.parse(socket, frame, isBinary);
      if (message === undefined) {
        return;
      }
      const { event, data } = message;
      const slot = this.slots.get(event);
      const handler = slot === undefined ? undefined : socket.handlers?.[slot];
      if (handler === undefined) {
        return sendError(socket, new UnknownTypeError(event));
      }
      // A handler may return a value, a promise or an observable, whose last value is the reply.
      let reply: unknown = await handler(data, event);
      if (isObservable(reply)) {
        reply = await lastValueFrom(reply, { defaultValue: undefined });
      }
      if (reply != null) {
        socket.push(JSON.stringify(reply));
      }
    } catch (error) {
      this.logger.error(error);
    } finally {
      this.handled(socket);
    }
  }

  /** A frame as a message, or undefined once the client has been told what is wrong with it. */
  private parse(
    socket: PushSocket,
    frame: Buffer,
    isBinary: boolean,
  ): { event: string; data: unknown } | undefined {
    try {
      if (isBinary) {
        throw new BinaryFrameError();
      }
      return this.messageParser(frame) ?? undefined;
    } catch (error) {
      sendError(socket, error);
      return undefined;
    }
  }
}

/** Whether an upgrade asks for `/`. Most ask for `/` or `/?token=...`, which need no URL parser. */
function asksForRoot({ url = '/', headers }: IncomingMessage): boolean {
  return (
    url === '/' ||
    url.startsWith('/?') ||
    new URL(url, `ws://${headers.host}/`).pathname === '/'
  );
}

function someGatewayHandlesDisconnect(app: INestApplicationContext): boolean {
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.providers.values()) {
      if (
        typeof metatype === 'function' &&
        Reflect.getMetadata(GATEWAY_METADATA, metatype) === true &&
        typeof (metatype.prototype as Partial<OnGatewayDisconnect>)
          .handleDisconnect === 'function'
      ) {
        return true;
      }
    }
  }
  return false;
}
