import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsName } from '../../common/validation/is-name.decorator.js';

const POSITION_RULE = '$property must be a position: a whole number from 0';

/** `{"type":"init","task_id":"<uid>"}`: binds the connection to a uid. */
export class InitDto {
  @IsName()
  task_id!: string;

  /** Follow positions: pushes arrive in envelopes that carry them. */
  @IsOptional()
  @IsBoolean({ message: '$property must be true or false' })
  recover?: boolean;

  /** The last position seen: follow positions, and get what came after it first. */
  @IsOptional()
  @IsInt({ message: POSITION_RULE })
  @Min(0, { message: POSITION_RULE })
  @Max(Number.MAX_SAFE_INTEGER, { message: POSITION_RULE })
  since?: number;

  /** Fields an application adds (a token, say), for its `BindGuard`. */
  [field: string]: unknown;
}
