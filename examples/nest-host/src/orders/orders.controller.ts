import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { PushService } from 'pushgate';
import { BindCounter } from './bind-counter.service.js';

/** The team's own HTTP API, pushing through PushService from an ordinary controller. */
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly push: PushService,
    private readonly counter: BindCounter,
  ) {}

  @Post(':uid/shipped')
  @HttpCode(200)
  async shipped(@Param('uid') uid: string, @Body() body: { order: string }) {
    const delivered = await this.push.sendToUid(uid, {
      type: 'order_shipped',
      order: body.order,
    });
    return { delivered };
  }

  @Get('binds')
  binds() {
    return { binds: this.counter.binds, last_uid: this.counter.lastUid };
  }
}
