import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module.js';
import { Heartbeat } from './heartbeat.service.js';
import { PushGateway } from './push.gateway.js';

@Module({
  imports: [RegistryModule],
  providers: [PushGateway, Heartbeat],
})
export class GatewayModule {}
