import { Controller, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import { SendDto } from './dto/send.dto.js';
import { PushCommand } from './push-command.js';
import { PushService } from './push.service.js';

/** The text-port commands. Each `type` is one `@MessagePattern`; each result is the reply's `result`. */
@Controller()
@UsePipes(PushValidationPipe)
export class PushController {
  constructor(private readonly push: PushService) {}

  /** The login-status shortcut of the PHP backends. Result: the connections written to. */
  @MessagePattern(PushCommand.Send)
  send(@Payload() { task_id, openid, data }: SendDto): number {
    const message: ServerMessage<'login_status'> = {
      type: 'login_status',
      openid,
      data: data ?? null,
    };
    return this.push.sendToUid(task_id, message);
  }
}
