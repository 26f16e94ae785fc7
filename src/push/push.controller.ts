import { Controller, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import { targets } from '../common/validation/one-or-many.js';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import { SendToAllDto } from './dto/send-to-all.dto.js';
import { SendToClientDto } from './dto/send-to-client.dto.js';
import { SendToGroupDto } from './dto/send-to-group.dto.js';
import { SendToUidDto } from './dto/send-to-uid.dto.js';
import { SendDto } from './dto/send.dto.js';
import { PushCommand } from './push-command.js';
import { PushService, type SendResult } from './push.service.js';
import { batched } from './transport/batched.js';
import { TEXT_TRANSPORT } from './transport/text-transport-id.js';

/** The send commands. Each result is the number of connections the message was written to. */
@Controller()
@UsePipes(PushValidationPipe)
export class PushController {
  constructor(private readonly push: PushService) {}

  /**
   * The login-status shortcut of the PHP backends. The hot command: it takes runs of consecutive
   * lines at once (see `batched`).
   */
  @MessagePattern(PushCommand.Send, TEXT_TRANSPORT, batched(SendDto))
  send(@Payload() lines: SendDto[]): Promise<SendResult[]> {
    return this.push.sendToUidBatch(
      lines.map(({ task_id, openid, data, ack, ack_timeout_ms }) => {
        const message: ServerMessage<'login_status'> = {
          type: 'login_status',
          openid,
          data: data ?? null,
        };
        return { uids: task_id, message, ack, ackTimeoutMs: ack_timeout_ms };
      }),
    );
  }

  /** The hot command of the Gateway API: batched, as `send`. */
  @MessagePattern(PushCommand.SendToUid, TEXT_TRANSPORT, batched(SendToUidDto))
  sendToUid(@Payload() lines: SendToUidDto[]): Promise<SendResult[]> {
    return this.push.sendToUidBatch(
      lines.map(({ uid, uids, message, ack, ack_timeout_ms }) => ({
        uids: targets(uid, uids),
        message,
        ack,
        ackTimeoutMs: ack_timeout_ms,
      })),
    );
  }

  @MessagePattern(PushCommand.SendToClient, TEXT_TRANSPORT)
  sendToClient(
    @Payload() { client_id, client_ids, message }: SendToClientDto,
  ): Promise<number> {
    return this.push.sendToClient(targets(client_id, client_ids), message);
  }

  @MessagePattern(PushCommand.SendToGroup, TEXT_TRANSPORT)
  sendToGroup(
    @Payload() { group, groups, message, exclude }: SendToGroupDto,
  ): Promise<number> {
    return this.push.sendToGroup(
      targets(group, groups),
      message,
      exclude ?? undefined,
    );
  }

  @MessagePattern(PushCommand.SendToAll, TEXT_TRANSPORT)
  sendToAll(
    @Payload() { message, client_ids, exclude }: SendToAllDto,
  ): Promise<number> {
    return this.push.sendToAll(message, {
      clientIds: client_ids ?? undefined,
      exclude: exclude ?? undefined,
    });
  }
}
