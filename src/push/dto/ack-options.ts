import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

const TIMEOUT_RULE =
  '$property must be a whole number of milliseconds from 1 to 600000';

/** The fields of a send that waits for acknowledgements (`send`, `sendToUid`). */
export class AckOptions {
  /** Wait for the browsers to acknowledge it; the reply says how many did (`acked`). */
  @IsOptional()
  @IsBoolean({ message: '$property must be true or false' })
  ack?: boolean;

  /** How long to wait; default `PUSH_ACK_TIMEOUT_MS`. */
  @IsOptional()
  @IsInt({ message: TIMEOUT_RULE })
  @Min(1, { message: TIMEOUT_RULE })
  @Max(600_000, { message: TIMEOUT_RULE })
  ack_timeout_ms?: number;
}
