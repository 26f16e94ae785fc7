import { ValidateIf } from 'class-validator';
import { IsMessage } from './is-message.decorator.js';
import { IsClientId } from '../../common/validation/is-client-id.decorator.js';

export class CloseClientDto {
  @IsClientId()
  client_id!: string;

  /** Sent to the connection just before it is closed. */
  @ValidateIf((dto: CloseClientDto) => dto.message !== undefined)
  @IsMessage()
  message?: unknown;
}
