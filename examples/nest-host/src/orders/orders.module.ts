import { Module } from '@nestjs/common';
import { BindCounter } from './bind-counter.service.js';
import { MyCommandController } from './my-command.controller.js';
import { OrdersController } from './orders.controller.js';

@Module({
  controllers: [OrdersController, MyCommandController],
  providers: [BindCounter],
})
export class OrdersModule {}
