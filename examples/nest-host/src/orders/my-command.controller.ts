import { Controller, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PushService, PushValidationPipe } from 'pushgate';
import { OrderPaidDto } from './order-paid.dto.js';

/** The team's own text-port command, with Pushgate's framing, validation and replies. */
@Controller()
@UsePipes(PushValidationPipe)
export class MyCommandController {
  constructor(private readonly push: PushService) {}

  /** Tells the buyer's screens that the order is paid; the result is how many got it. */
  @MessagePattern('myCommand')
  orderPaid(@Payload() { uid, order }: OrderPaidDto): Promise<number> {
    return this.push.sendToUid(uid, { type: 'order_paid', order });
  }
}
