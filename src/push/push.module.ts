import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';

@Module({
  imports: [RegistryModule],
  controllers: [PushController],
  providers: [PushService],
  exports: [PushService],
})
export class PushModule {}
