import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class RateLimitedError extends PushError {
  constructor(message: string) {
    super(ErrorCode.RateLimited, message);
  }
}
