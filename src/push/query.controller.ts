import { Controller, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PushValidationPipe } from '../common/validation/push-validation.pipe.js';
import type { Session } from '../registry/client.js';
import { ClientIdDto } from './dto/client-id.dto.js';
import { GroupDto } from './dto/group.dto.js';
import { UidDto } from './dto/uid.dto.js';
import { PushCommand } from './push-command.js';
import { PushService } from './push.service.js';

/** The questions a backend can ask; unknown ids and groups answer false, null, [] or 0. */
@Controller()
@UsePipes(PushValidationPipe)
export class QueryController {
  constructor(private readonly push: PushService) {}

  @MessagePattern(PushCommand.IsOnline)
  isOnline(@Payload() { client_id }: ClientIdDto): Promise<boolean> {
    return this.push.isOnline(client_id);
  }

  @MessagePattern(PushCommand.IsUidOnline)
  isUidOnline(@Payload() { uid }: UidDto): Promise<boolean> {
    return this.push.isUidOnline(uid);
  }

  @MessagePattern(PushCommand.GetClientIdByUid)
  getClientIdByUid(@Payload() { uid }: UidDto): Promise<string[]> {
    return this.push.getClientIdByUid(uid);
  }

  @MessagePattern(PushCommand.GetUidByClientId)
  getUidByClientId(
    @Payload() { client_id }: ClientIdDto,
  ): Promise<string | null> {
    return this.push.getUidByClientId(client_id);
  }

  @MessagePattern(PushCommand.GetClientIdListByGroup)
  getClientIdListByGroup(@Payload() { group }: GroupDto): Promise<string[]> {
    return this.push.getClientIdListByGroup(group);
  }

  @MessagePattern(PushCommand.GetClientCountByGroup)
  getClientCountByGroup(@Payload() { group }: GroupDto): Promise<number> {
    return this.push.getClientCountByGroup(group);
  }

  @MessagePattern(PushCommand.GetUidListByGroup)
  getUidListByGroup(@Payload() { group }: GroupDto): Promise<string[]> {
    return this.push.getUidListByGroup(group);
  }

  @MessagePattern(PushCommand.GetUidCountByGroup)
  getUidCountByGroup(@Payload() { group }: GroupDto): Promise<number> {
    return this.push.getUidCountByGroup(group);
  }

  @MessagePattern(PushCommand.GetAllClientIdList)
  getAllClientIdList(): Promise<string[]> {
    return this.push.getAllClientIdList();
  }

  @MessagePattern(PushCommand.GetAllClientCount)
  getAllClientCount(): Promise<number> {
    return this.push.getAllClientCount();
  }

  @MessagePattern(PushCommand.GetAllUidList)
  getAllUidList(): Promise<string[]> {
    return this.push.getAllUidList();
  }

  @MessagePattern(PushCommand.GetAllUidCount)
  getAllUidCount(): Promise<number> {
    return this.push.getAllUidCount();
  }

  @MessagePattern(PushCommand.GetAllGroupIdList)
  getAllGroupIdList(): Promise<string[]> {
    return this.push.getAllGroupIdList();
  }

  @MessagePattern(PushCommand.GetSession)
  getSession(@Payload() { client_id }: ClientIdDto): Promise<Session | null> {
    return this.push.getSession(client_id);
  }
}
