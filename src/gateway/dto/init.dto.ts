import { IsName } from '../../common/validation/is-name.decorator.js';

/** `{"type":"init","task_id":"<uid>"}`: binds the connection to a uid. */
export class InitDto {
  @IsName()
  task_id!: string;

  /** Fields an application adds (a token, say), for its `BindGuard`. */
  [field: string]: unknown;
}
