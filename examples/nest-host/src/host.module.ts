import { Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { PushgateModule } from 'pushgate';
import { ChatModule } from './chat/chat.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { PresenceModule } from './presence/presence.module.js';

/**
 * A backend team's own Nest application with Pushgate inside. Settings not given here come from
 * the environment (PUSH_WS_PORT, PUSH_TEXT_PORT, ...), as for the standalone server.
 */
@Module({
  imports: [
    // Pushgate's lifecycle events reach @OnEvent listeners through this.
    EventEmitterModule.forRoot(),
    PushgateModule.forRoot({ pingIntervalMs: 30_000 }),
    ChatModule,
    PresenceModule,
    OrdersModule,
  ],
})
export class HostModule {}
