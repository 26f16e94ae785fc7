import { IsName } from '../../common/validation/is-name.decorator.js';
import { IfGiven, UnlessGiven } from '../../common/validation/one-or-many.js';
import { IsMessage } from './is-message.decorator.js';

export class SendToUidDto {
  @IfGiven()
  @IsName()
  uid?: string;

  @UnlessGiven('uid')
  @IsName({ each: true })
  uids?: string[];

  @IsMessage()
  message!: unknown;
}
