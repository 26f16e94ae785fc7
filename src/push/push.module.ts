import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { ConnectionController } from './connection.controller.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';
import { QueryController } from './query.controller.js';

@Module({
  imports: [RegistryModule, EventsModule],
  controllers: [PushController, ConnectionController, QueryController],
  providers: [PushService],
  exports: [PushService],
})
export class PushModule {}
