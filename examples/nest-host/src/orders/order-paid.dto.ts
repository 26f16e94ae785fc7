import { IsString } from 'class-validator';
import { IsName } from 'pushgate';

/** `{"type":"myCommand","uid":"...","order":"..."}` on the text port. */
export class OrderPaidDto {
  @IsName()
  uid!: string;

  @IsString()
  order!: string;
}
