import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';
import { quote } from './quote.js';

export class ForbiddenError extends PushError {
  constructor(type: string) {
    super(
      ErrorCode.Forbidden,
      `${quote(type)} is a backend command; only the text port may push`,
    );
  }
}
