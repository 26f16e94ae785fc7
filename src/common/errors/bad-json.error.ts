import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class BadJsonError extends PushError {
  constructor(reason: string) {
    super(ErrorCode.BadJson, `message is not valid JSON: ${reason}`);
  }
}
