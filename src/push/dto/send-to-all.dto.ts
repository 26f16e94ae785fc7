import { IsOptional } from 'class-validator';
import { IsClientId } from '../../common/validation/is-client-id.decorator.js';
import { IsMessage } from './is-message.decorator.js';

export class SendToAllDto {
  @IsMessage()
  message!: unknown;

  /** Only these connections (every connection when absent or null, as in GatewayWorker). */
  @IsOptional()
  @IsClientId({ each: true })
  client_ids?: string[] | null;

  /** Client ids that must not receive it; absent or null for none. */
  @IsOptional()
  @IsClientId({ each: true })
  exclude?: string[] | null;
}
