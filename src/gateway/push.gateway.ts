import { UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { WebSocketServer } from 'ws';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { InitDto } from './dto/init.dto.js';
import { Heartbeat } from './heartbeat.service.js';
import type { PushSocket } from './push-socket.js';
import { WsErrorFilter } from './ws-error.filter.js';

/**
 * The browser side: registers each connection, binds it to a uid on `init`, and takes `pong`.
 * It shares the HTTP server of the Nest application (port 0 in the decorator), so its address is
 * `PUSH_WS_HOST:PUSH_WS_PORT`.
 */
@WebSocketGateway()
@UseFilters(WsErrorFilter)
@UsePipes(PushValidationPipe)
export class PushGateway
  implements
    OnGatewayInit<WebSocketServer>,
    OnGatewayConnection<PushSocket>,
    OnGatewayDisconnect<PushSocket>
{
  constructor(
    private readonly registry: UidRegistry,
    private readonly heartbeat: Heartbeat,
  ) {}

  afterInit(server: WebSocketServer): void {
    this.heartbeat.start(server.clients as Set<PushSocket>);
  }

  handleConnection(socket: PushSocket): void {
    socket.client = this.registry.add(socket);
  }

  handleDisconnect(socket: PushSocket): void {
    this.registry.remove(socket.client);
  }

  /** Binds the connection to a uid; a second `init` moves it to the new uid. */
  @SubscribeMessage('init')
  init(
    @ConnectedSocket() socket: PushSocket,
    @MessageBody() { task_id }: InitDto,
  ): ServerMessage<'init_ok'> {
    this.registry.bind(socket.client, task_id);
    return { type: 'init_ok', task_id, client_id: socket.client.id };
  }

  /** The answer to a ping. The adapter already counted it as a sign of life; nothing else to do. */
  @SubscribeMessage('pong')
  pong(): void {}
}
