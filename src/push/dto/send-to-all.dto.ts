import { IsOptional } from 'class-validator';
import { IsClientId } from '../../common/validation/is-client-id.decorator.js';
import { IsMessage } from './is-message.decorator.js';

export class SendToAllDto {
  @IsMessage()
  message!: unknown;

  /** Only these connections (every connection when absent). */
  @IsOptional()
  @IsClientId({ each: true })
  client_ids?: string[];

  /** Client ids that must not receive it. */
  @IsOptional()
  @IsClientId({ each: true })
  exclude?: string[];
}
