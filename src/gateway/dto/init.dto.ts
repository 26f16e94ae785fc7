import { IsUid } from '../../common/validation/is-uid.decorator.js';

/** `{"type":"init","task_id":"<uid>"}`: binds the connection to a uid. */
export class InitDto {
  @IsUid()
  task_id!: string;
}
