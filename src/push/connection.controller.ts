import { Controller, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import { ClientGroupDto } from './dto/client-group.dto.js';
import { ClientUidDto } from './dto/client-uid.dto.js';
import { CloseClientDto } from './dto/close-client.dto.js';
import { GroupDto } from './dto/group.dto.js';
import { SessionDto } from './dto/session.dto.js';
import { PushCommand } from './push-command.js';
import { PushService } from './push.service.js';
import { TEXT_TRANSPORT } from './transport/text-transport-id.js';

/**
 * The commands by which a backend decides about connections: their uid, their groups, their
 * session, their end. Browsers cannot do any of this themselves. Each result tells whether the
 * connection was there to change (`ungroup`: how many were in the group).
 */
@Controller()
@UsePipes(PushValidationPipe)
export class ConnectionController {
  constructor(private readonly push: PushService) {}

  @MessagePattern(PushCommand.BindUid, TEXT_TRANSPORT)
  bindUid(@Payload() { client_id, uid }: ClientUidDto): Promise<boolean> {
    return this.push.bindUid(client_id, uid);
  }

  @MessagePattern(PushCommand.UnbindUid, TEXT_TRANSPORT)
  unbindUid(@Payload() { client_id, uid }: ClientUidDto): Promise<boolean> {
    return this.push.unbindUid(client_id, uid);
  }

  @MessagePattern(PushCommand.JoinGroup, TEXT_TRANSPORT)
  joinGroup(@Payload() { client_id, group }: ClientGroupDto): Promise<boolean> {
    return this.push.joinGroup(client_id, group);
  }

  @MessagePattern(PushCommand.LeaveGroup, TEXT_TRANSPORT)
  leaveGroup(
    @Payload() { client_id, group }: ClientGroupDto,
  ): Promise<boolean> {
    return this.push.leaveGroup(client_id, group);
  }

  @MessagePattern(PushCommand.Ungroup, TEXT_TRANSPORT)
  ungroup(@Payload() { group }: GroupDto): Promise<number> {
    return this.push.ungroup(group);
  }

  @MessagePattern(PushCommand.SetSession, TEXT_TRANSPORT)
  setSession(@Payload() { client_id, session }: SessionDto): Promise<boolean> {
    return this.push.setSession(client_id, session);
  }

  @MessagePattern(PushCommand.UpdateSession, TEXT_TRANSPORT)
  updateSession(
    @Payload() { client_id, session }: SessionDto,
  ): Promise<boolean> {
    return this.push.updateSession(client_id, session);
  }

  @MessagePattern(PushCommand.CloseClient, TEXT_TRANSPORT)
  closeClient(
    @Payload() { client_id, message }: CloseClientDto,
  ): Promise<boolean> {
    return this.push.closeClient(client_id, message);
  }
}
