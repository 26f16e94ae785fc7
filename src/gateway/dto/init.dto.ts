import { IsBoolean, IsOptional } from 'class-validator';
import { IsName } from '../../common/validation/is-name.decorator.js';
import { IsPosition } from './is-position.decorator.js';

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
  @IsPosition()
  since?: number;

  /** Fields an application adds (a token, say), for its `BindGuard`. */
  [field: string]: unknown;
}
