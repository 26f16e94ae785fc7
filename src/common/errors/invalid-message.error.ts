import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class InvalidMessageError extends PushError {
  constructor(message: string) {
    super(ErrorCode.InvalidMessage, message);
  }
}
