import { Inject, Logger, UseFilters } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { WebSocket, WebSocketServer } from 'ws';
import { JwtBindGuard } from '../auth/jwt-bind.guard.js';
import { PushError } from '../common/errors/push.error.js';
import { RateLimitedError } from '../common/errors/rate-limited.error.js';
import { UnauthorizedError } from '../common/errors/unauthorized.error.js';
import { CloseCode } from '../common/protocol/close-code.js';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import { validateMessage } from '../common/validation/push-validation.pipe.js';
import { PushConfig } from '../config/push-config.js';
import { PushEvents } from '../events/push-events.service.js';
import { PushgateEvent } from '../events/pushgate-events.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { PushService } from '../push/push.service.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { BIND_GUARD, type BindGuard, type BindRequest } from './bind-guard.js';
import { ClientMessage } from './client-message.js';
import { ConnectionGate } from './connection-gate.service.js';
import { AckDto } from './dto/ack.dto.js';
import { InitDto } from './dto/init.dto.js';
import { HeartbeatService } from './heartbeat.service.js';
import type { PushSocket, SocketContext } from './push-socket.js';
import { sendError } from './send-error.js';
import { RateLimit } from './rate-limit.js';
import { RawArguments } from './raw-arguments.decorator.js';
import { WsErrorFilter } from './ws-error.filter.js';

/** Refused bindings in a row after which a connection is closed (4401). */
const MAX_REFUSALS = 3;

/**
 * The browser side: registers each connection, binds it to a uid on `init` (once the uid is
 * proven: a token, when `PUSH_JWT_*` is set, and the application's `BindGuard`, if any), takes
 * `pong`, and forgets the connection when it closes. It shares the HTTP server of the Nest
 * application (port 0 in the decorator), so its address is `PUSH_WS_HOST:PUSH_WS_PORT`.
 *
 * Its handlers take the socket and the message as sent (`RawArguments`), and validate the message
 * themselves: no pipe runs on them. A pipe would cost every message Nest's parameter pipeline, and
 * an embedding application's global `ValidationPipe` would reach them: with `whitelist`, it would
 * strip the `token` from `init` before the guards could read it.
 */
@WebSocketGateway()
@UseFilters(WsErrorFilter)
export class PushGateway
  implements OnGatewayInit<WebSocketServer>, OnGatewayConnection<PushSocket>
{
  private readonly logger = new Logger('Pushgate');
  private readonly context: SocketContext;
  /** Who must agree before `init` binds a uid, in order. */
  private readonly guards: BindGuard[];
  /** `PUSH_MAX_INITS_PER_MIN` per connection. */
  private readonly initRate: RateLimit;

  constructor(
    private readonly registry: UidRegistry,
    private readonly push: PushService,
    private readonly events: PushEvents,
    private readonly heartbeat: HeartbeatService,
    private readonly gate: ConnectionGate,
    private readonly config: PushConfig,
    jwt: JwtBindGuard,
    @Inject(BIND_GUARD) bindGuard: BindGuard | null,
    metrics: PushMetrics,
  ) {
    this.context = { registry, events, metrics, gate, config, push };
    this.initRate = new RateLimit(
      config.maxInitsPerMinute / 60,
      config.maxInitsPerMinute,
    );
    this.guards = [jwt.enabled ? jwt : null, bindGuard].filter(
      (guard): guard is BindGuard => guard !== null,
    );
  }

  afterInit(): void {
    this.heartbeat.start();
    if (this.guards.length === 0) {
      this.logger.warn(
        'Any client can bind any uid: set PUSH_JWT_SECRET (or PUSH_JWT_PUBLIC_KEY) so that init must prove it',
      );
    }
  }

  handleConnection(socket: PushSocket, request: IncomingMessage): void {
    socket.context = this.context;
    socket.client = this.registry.add(socket);
    socket.tcp = request.socket;
    if (this.gate.countsAddresses) {
      socket.address = request.socket.remoteAddress;
    }
    this.gate.opened(socket.address);
    // The request's headers live as long as the connection once kept: only for guards to read.
    if (this.guards.length > 0) {
      socket.handshake = {
        url: request.url ?? '/',
        headers: request.headers,
        remoteAddress: request.socket.remoteAddress,
      };
    }
    // `on`, not `once`: it fires once anyway, and `once` would add a wrapper per connection.
    socket.on('close', onClose);
    if (this.events.active) {
      this.events.emit(PushgateEvent.Connected, {
        client_id: socket.client.id,
        remote_address: request.socket.remoteAddress ?? null,
      });
    }
  }

  /**
   * Binds the connection to a uid; a second `init` moves it to the new uid. After `init_ok` come
   * the pushes kept for the uid that nobody received, and, recovering from `since`, those the
   * connection missed.
   */
  @SubscribeMessage(ClientMessage.Init)
  @RawArguments()
  async init(socket: PushSocket, body: unknown): Promise<undefined> {
    const message = validateMessage(InitDto, body);
    const { client, handshake } = socket;
    const uid = message.task_id;
    if (!this.withinInitRate(socket)) {
      throw new RateLimitedError(
        `more than ${this.config.maxInitsPerMinute} init messages a minute (PUSH_MAX_INITS_PER_MIN)`,
      );
    }
    for (const guard of this.guards) {
      const refusal = await refusalOf(guard, {
        uid,
        client,
        message,
        handshake: handshake!,
      });
      if (refusal !== undefined) {
        return this.refuse(socket, refusal);
      }
    }
    socket.refusals = 0;
    const since = message.since ?? undefined;
    const recover = message.recover === true || since !== undefined;
    const backlog = await this.push.bindClient(client.id, uid, {
      recover,
      since,
    });
    // The connection may have closed while the guards were deciding.
    if (backlog === undefined) {
      return undefined;
    }
    const answer: ServerMessage<'init_ok'> = {
      type: 'init_ok',
      task_id: uid,
      client_id: client.id,
      position: backlog.position,
      recovered: backlog.recovered,
    };
    socket.push(JSON.stringify(answer));
    this.push.writeBacklog(client, backlog);
    return undefined;
  }

  /** The browser received the push at `position` (one sent with `"ack":true`). */
  @SubscribeMessage(ClientMessage.Ack)
  @RawArguments()
  ack(socket: PushSocket, body: unknown): void {
    const { position } = validateMessage(AckDto, body);
    this.push.acknowledge(socket.client, position);
  }

  /** Whether an `init` is within the connection's allowance. */
  private withinInitRate(socket: PushSocket): boolean {
    const fullAt = this.initRate.take(socket.initsFullAt, performance.now());
    if (fullAt === undefined) {
      return false;
    }
    socket.initsFullAt = fullAt;
    return true;
  }

  /** Answers a refused `init`; a connection refused too often in a row is closed (4401). */
  private refuse(socket: PushSocket, refusal: PushError): undefined {
    if (++socket.refusals < MAX_REFUSALS) {
      throw refusal;
    }
    sendError(socket, refusal);
    socket.close(CloseCode.Unauthorized, 'unauthorized');
    return undefined;
  }

  /** The answer to a ping. The adapter already counted it as a sign of life; nothing else to do. */
  @SubscribeMessage(ClientMessage.Pong)
  @RawArguments()
  pong(): void {}
}

/**
 * `close` listener, one for all sockets: the connection leaves the registry (if the server did not
 * close it already) and is announced with its close code and reason, which Nest's disconnect hook
 * would not pass on.
 */
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const { context, client, address } = this as PushSocket;
  const { registry, events, gate, push } = context;
  registry.remove(client);
  if (client.uid !== undefined) {
    push.forget(client, client.uid);
  }
  gate.closed(address);
  events.emit(PushgateEvent.Disconnected, {
    client_id: client.id,
    uid: client.uid ?? null,
    groups: [...(client.groups ?? [])],
    code,
    reason: reason.toString(),
  });
}

/** Why a guard refuses a binding: the error it threw, or a plain `unauthorized`; undefined if it agrees. */
async function refusalOf(
  guard: BindGuard,
  request: BindRequest,
): Promise<PushError | undefined> {
  try {
    if (await guard.canBind(request)) {
      return undefined;
    }
  } catch (error) {
    if (error instanceof PushError) {
      return error;
    }
    throw error;
  }
  return new UnauthorizedError(
    `this connection may not bind uid "${request.uid}"`,
  );
}
