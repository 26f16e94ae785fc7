import { IsName } from '../../common/validation/is-name.decorator.js';

export class GroupDto {
  @IsName()
  group!: string;
}
