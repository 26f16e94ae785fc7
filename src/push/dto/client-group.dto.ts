import { IsClientId } from '../../common/validation/is-client-id.decorator.js';
import { IsName } from '../../common/validation/is-name.decorator.js';

export class ClientGroupDto {
  @IsClientId()
  client_id!: string;

  @IsName()
  group!: string;
}
