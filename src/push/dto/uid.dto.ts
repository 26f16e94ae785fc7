import { IsName } from '../../common/validation/is-name.decorator.js';

export class UidDto {
  @IsName()
  uid!: string;
}
