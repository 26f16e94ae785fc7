import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import { PushConfig } from '../config/push-config.js';
import { CloseCode } from '../common/protocol/close-code.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import type { PushSocket } from './push-socket.js';

const PING = JSON.stringify({ type: 'ping' } satisfies ServerMessage<'ping'>);

/**
 * One timer for all connections: every `pingIntervalMs` it pings each socket and closes those that
 * have sent nothing through `pingLimit` pings. Any frame from a client resets its count (see
 * `PushWsAdapter`), so an active client never needs to answer a ping.
 */
@Injectable()
export class HeartbeatService implements OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: PushConfig,
    private readonly registry: UidRegistry,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sweep(), this.config.pingIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Every open connection is in the registry: the server forgets one the moment it closes it. */
  private sweep(): void {
    const limit = this.config.pingLimit;
    for (const client of this.registry.allClients()) {
      const socket = client.socket as PushSocket;
      if (socket.readyState !== WebSocket.OPEN) {
        continue;
      }
      if (limit > 0 && ++socket.silentSweeps > limit) {
        socket.context.metrics.heartbeatClosed();
        socket.close(CloseCode.PingTimeout, 'ping timeout');
      } else {
        socket.push(PING);
      }
    }
  }
}
