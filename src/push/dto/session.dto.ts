import { IsObject } from 'class-validator';
import { IsClientId } from '../../common/validation/is-client-id.decorator.js';
import type { Session } from '../../registry/client.js';

export class SessionDto {
  @IsClientId()
  client_id!: string;

  @IsObject({ message: '$property must be a JSON object' })
  session!: Session;
}
