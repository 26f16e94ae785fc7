import { IsClientId } from '../../common/validation/is-client-id.decorator.js';

export class ClientIdDto {
  @IsClientId()
  client_id!: string;
}
