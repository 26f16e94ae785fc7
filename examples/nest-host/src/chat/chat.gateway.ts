import { UseFilters, UsePipes } from '@nestjs/common';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  type ClientInfo,
  ConnectedClient,
  PushError,
  PushService,
  PushValidationPipe,
  WsErrorFilter,
} from 'pushgate';
import { ChatMessageDto } from './chat-message.dto.js';
import { RoomDto } from './room.dto.js';

/**
 * The team's own browser messages, on Pushgate's WebSocket: a gateway on the same port and path
 * (the decorator's defaults). Pushgate's filter and pipe give errors the protocol's format.
 */
@WebSocketGateway()
@UseFilters(WsErrorFilter)
@UsePipes(PushValidationPipe)
export class ChatGateway {
  constructor(private readonly push: PushService) {}

  /** Pushgate leaves joining groups to the application; here any bound connection may. */
  @SubscribeMessage('join')
  async join(
    @ConnectedClient() client: ClientInfo,
    @MessageBody() { room }: RoomDto,
  ) {
    if (client.uid === undefined) {
      throw new PushError('not_bound', 'send init before joining a room');
    }
    await this.push.joinGroup(client.id, room);
    return { type: 'joined', room };
  }

  /** Relays the text to everyone else in the room. */
  @SubscribeMessage('chat')
  async chat(
    @ConnectedClient() sender: ClientInfo,
    @MessageBody() { room, text }: ChatMessageDto,
  ) {
    if (sender.groups?.has(room) !== true) {
      throw new PushError('not_in_room', `join room "${room}" first`);
    }
    const delivered = await this.push.sendToGroup(
      room,
      { type: 'chat', room, text, from: sender.uid },
      [sender.id],
    );
    return { type: 'chat_ok', delivered };
  }
}
