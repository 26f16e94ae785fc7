import { IsString } from 'class-validator';
import { IsName } from '../../common/validation/is-name.decorator.js';
import { AckOptions } from './ack-options.js';

/**
 * `{"type":"send","task_id":"<uid>","openid":"...","data":...}`: pushes
 * `{"type":"login_status","openid":...,"data":...}` to every connection of the uid.
 */
export class SendDto extends AckOptions {
  @IsName()
  task_id!: string;

  @IsString({ message: '$property must be a string' })
  openid!: string;

  /** Any JSON value, passed through to the browser; `null` when absent. */
  data?: unknown;
}
