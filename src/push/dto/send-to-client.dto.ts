import { IsClientId } from '../../common/validation/is-client-id.decorator.js';
import { IfGiven, UnlessGiven } from '../../common/validation/one-or-many.js';
import { IsMessage } from './is-message.decorator.js';

export class SendToClientDto {
  @IfGiven()
  @IsClientId()
  client_id?: string;

  @UnlessGiven('client_id')
  @IsClientId({ each: true })
  client_ids?: string[];

  @IsMessage()
  message!: unknown;
}
