import { IsInt, Max, Min } from 'class-validator';

const POSITION_RULE = '$property must be a position: a whole number from 0';

/** `{"type":"ack","position":N}`: the browser received the push at that position of its uid. */
export class AckDto {
  @IsInt({ message: POSITION_RULE })
  @Min(0, { message: POSITION_RULE })
  @Max(Number.MAX_SAFE_INTEGER, { message: POSITION_RULE })
  position!: number;
}
