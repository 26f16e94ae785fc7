import { Controller, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import type { Session } from '../registry/client.js';
import { ClientIdDto } from './dto/client-id.dto.js';
import { GroupDto } from './dto/group.dto.js';
import { UidDto } from './dto/uid.dto.js';
import { PushCommand } from './push-command.js';
import { PushService } from './push.service.js';
import { TEXT_TRANSPORT } from './transport/text-transport-id.js';

/** The questions a backend can ask; unknown ids and groups answer false, null, [] or 0. */
@Controller()
@UsePipes(PushValidationPipe)
export class QueryController {
  constructor(private readonly push: PushService) {}

  @MessagePattern(PushCommand.IsOnline, TEXT_TRANSPORT)
  isOnline(@Payload() { client_id }: ClientIdDto): Promise<boolean> {
    return this.push.isOnline(client_id);
  }

  @MessagePattern(PushCommand.IsUidOnline, TEXT_TRANSPORT)
  isUidOnline(@Payload() { uid }: UidDto): Promise<boolean> {
    return this.push.isUidOnline(uid);
  }

  @MessagePattern(PushCommand.GetClientIdByUid, TEXT_TRANSPORT)
  getClientIdByUid(@Payload() { uid }: UidDto): Promise<string[]> {
    return this.push.getClientIdByUid(uid);
  }

  @MessagePattern(PushCommand.GetUidByClientId, TEXT_TRANSPORT)
  getUidByClientId(
    @Payload() { client_id }: ClientIdDto,
  ): Promise<string | null> {
    return this.push.getUidByClientId(client_id);
  }

  @MessagePattern(PushCommand.GetClientIdListByGroup, TEXT_TRANSPORT)
  getClientIdListByGroup(@Payload() { group }: GroupDto): Promise<string[]> {
    return this.push.getClientIdListByGroup(group);
  }

  @MessagePattern(PushCommand.GetClientCountByGroup, TEXT_TRANSPORT)
  getClientCountByGroup(@Payload() { group }: GroupDto): Promise<number> {
    return this.push.getClientCountByGroup(group);
  }

  @MessagePattern(PushCommand.GetUidListByGroup, TEXT_TRANSPORT)
  getUidListByGroup(@Payload() { group }: GroupDto): Promise<string[]> {
    return this.push.getUidListByGroup(group);
  }

  @MessagePattern(PushCommand.GetUidCountByGroup, TEXT_TRANSPORT)
  getUidCountByGroup(@Payload() { group }: GroupDto): Promise<number> {
    return this.push.getUidCountByGroup(group);
  }

  @MessagePattern(PushCommand.GetAllClientIdList, TEXT_TRANSPORT)
  getAllClientIdList(): Promise<string[]> {
    return this.push.getAllClientIdList();
  }

  @MessagePattern(PushCommand.GetAllClientCount, TEXT_TRANSPORT)
  getAllClientCount(): Promise<number> {
    return this.push.getAllClientCount();
  }

  @MessagePattern(PushCommand.GetAllUidList, TEXT_TRANSPORT)
  getAllUidList(): Promise<string[]> {
    return this.push.getAllUidList();
  }

  @MessagePattern(PushCommand.GetAllUidCount, TEXT_TRANSPORT)
  getAllUidCount(): Promise<number> {
    return this.push.getAllUidCount();
  }

  @MessagePattern(PushCommand.GetAllGroupIdList, TEXT_TRANSPORT)
  getAllGroupIdList(): Promise<string[]> {
    return this.push.getAllGroupIdList();
  }

  @MessagePattern(PushCommand.GetSession, TEXT_TRANSPORT)
  getSession(@Payload() { client_id }: ClientIdDto): Promise<Session | null> {
    return this.push.getSession(client_id);
  }
}
