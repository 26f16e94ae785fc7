import { UseFilters } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { type ClientInfo, ConnectedClient, WsErrorFilter } from 'pushgate';

/** A second module's gateway on the same WebSocket: its handlers and the chat's coexist. */
@WebSocketGateway()
@UseFilters(WsErrorFilter)
export class PresenceGateway {
  @SubscribeMessage('whoami')
  whoami(@ConnectedClient() client: ClientInfo) {
    return { type: 'you_are', client_id: client.id, uid: client.uid ?? null };
  }
}
