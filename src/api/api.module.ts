import { Module } from '@nestjs/common';
import { PushModule } from '../push/push.module.js';
import { ApiController } from './api.controller.js';

@Module({
  imports: [PushModule],
  controllers: [ApiController],
})
export class ApiModule {}
