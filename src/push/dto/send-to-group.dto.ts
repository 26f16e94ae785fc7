import { IsOptional } from 'class-validator';
import { IsClientId } from '../../common/validation/is-client-id.decorator.js';
import { IsName } from '../../common/validation/is-name.decorator.js';
import { IfGiven, UnlessGiven } from '../../common/validation/one-or-many.js';
import { IsMessage } from './is-message.decorator.js';

export class SendToGroupDto {
  @IfGiven()
  @IsName()
  group?: string;

  @UnlessGiven('group')
  @IsName({ each: true })
  groups?: string[];

  @IsMessage()
  message!: unknown;

  /** Client ids that must not receive it; absent or null for none. */
  @IsOptional()
  @IsClientId({ each: true })
  exclude?: string[] | null;
}
