import { IsClientId } from '../../common/validation/is-client-id.decorator.js';

export class CloseClientDto {
  @IsClientId()
  client_id!: string;

  /** Sent to the connection just before it is closed. */
  message?: unknown;
}
