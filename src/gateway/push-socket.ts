import type { MessageMappingProperties } from '@nestjs/websockets';
import { WebSocket } from 'ws';
import type { Client } from '../registry/client.js';

/** The server side of one browser connection: a `ws` socket plus what Pushgate keeps per connection. */
export class PushSocket extends WebSocket {
  /** Its registry entry, set by the gateway when the connection opens. */
  client!: Client;
  /** Heartbeat sweeps since the client last sent anything. */
  silentSweeps = 0;
  /** The message handlers of every gateway on this server, merged by the adapter. */
  handlers: MessageMappingProperties[] | undefined = undefined;
}
