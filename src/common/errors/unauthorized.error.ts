import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class UnauthorizedError extends PushError {
  constructor(message: string) {
    super(ErrorCode.Unauthorized, message);
  }
}
