import { IsName } from '../../common/validation/is-name.decorator.js';
import { IfGiven, UnlessGiven } from '../../common/validation/one-or-many.js';
import { AckOptions } from './ack-options.js';
import { IsMessage } from './is-message.decorator.js';

export class SendToUidDto extends AckOptions {
  @IfGiven()
  @IsName()
  uid?: string;

  @UnlessGiven('uid')
  @IsName({ each: true })
  uids?: string[];

  @IsMessage()
  message!: unknown;
}
