import { Module } from '@nestjs/common';
import { PushModule } from '../push/push.module.js';
import { DemoController } from './demo.controller.js';

@Module({ imports: [PushModule], controllers: [DemoController] })
export class DemoModule {}
