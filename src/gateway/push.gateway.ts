import { Inject, UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { UnauthorizedError } from '../common/errors/unauthorized.error.js';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import { PushConfig } from '../config/push-config.js';
import { PushEvents } from '../events/push-events.service.js';
import { PushgateEvent } from '../events/pushgate-events.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { PushService } from '../push/push.service.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { BIND_GUARD, type BindGuard } from './bind-guard.js';
import { ClientMessage } from './client-message.js';
import { InitDto } from './dto/init.dto.js';
import { HeartbeatService } from './heartbeat.service.js';
import type { PushSocket, SocketContext } from './push-socket.js';
import { WsErrorFilter } from './ws-error.filter.js';

/**
 * The browser side: registers each connection, binds it to a uid on `init` (when the
 * application's `BindGuard`, if any, agrees), takes `pong`, and forgets the connection when it
 * closes. It shares the HTTP server of the Nest application (port 0 in the decorator), so its
 * address is `PUSH_WS_HOST:PUSH_WS_PORT`.
 */
@WebSocketGateway()
@UseFilters(WsErrorFilter)
@UsePipes(PushValidationPipe)
export class PushGateway
  implements OnGatewayInit<WebSocketServer>, OnGatewayConnection<PushSocket>
{
  private readonly context: SocketContext;

  constructor(
    private readonly registry: UidRegistry,
    private readonly push: PushService,
    private readonly events: PushEvents,
    private readonly heartbeat: HeartbeatService,
    config: PushConfig,
    @Inject(BIND_GUARD) private readonly bindGuard: BindGuard | null,
    metrics: PushMetrics,
  ) {
    this.context = {
      registry,
      events,
      metrics,
      maxBufferedBytes: config.maxBufferedBytes,
    };
  }

  afterInit(server: WebSocketServer): void {
    this.heartbeat.start(server.clients as Set<PushSocket>);
  }

  handleConnection(socket: PushSocket, request: IncomingMessage): void {
    socket.context = this.context;
    socket.client = this.registry.add(socket);
    socket.tcp = request.socket;
    // The request's headers live as long as the connection once kept: only for a guard to read.
    if (this.bindGuard !== null) {
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

  /** Binds the connection to a uid; a second `init` moves it to the new uid. */
  @SubscribeMessage(ClientMessage.Init)
  async init(
    @ConnectedSocket() socket: PushSocket,
    @MessageBody() message: InitDto,
  ): Promise<ServerMessage<'init_ok'> | undefined> {
    const { client, handshake } = socket;
    const uid = message.task_id;
    if (
      this.bindGuard !== null &&
      !(await this.bindGuard.canBind({
        uid,
        client,
        message,
        handshake: handshake!,
      }))
    ) {
      throw new UnauthorizedError(`this connection may not bind uid "${uid}"`);
    }
    // The connection may have closed while the guard was deciding.
    if (!(await this.push.bindUid(client.id, uid))) {
      return undefined;
    }
    return { type: 'init_ok', task_id: uid, client_id: client.id };
  }

  /** The answer to a ping. The adapter already counted it as a sign of life; nothing else to do. */
  @SubscribeMessage(ClientMessage.Pong)
  pong(): void {}
}

/**
 * `close` listener, one for all sockets: the connection leaves the registry (if the server did not
 * close it already) and is announced with its close code and reason, which Nest's disconnect hook
 * would not pass on.
 */
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const { context, client } = this as PushSocket;
  const { registry, events } = context;
  registry.remove(client);
  events.emit(PushgateEvent.Disconnected, {
    client_id: client.id,
    uid: client.uid ?? null,
    groups: [...(client.groups ?? [])],
    code,
    reason: reason.toString(),
  });
}
