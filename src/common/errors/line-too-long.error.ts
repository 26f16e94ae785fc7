import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class LineTooLongError extends PushError {
  constructor(maxBytes: number) {
    super(
      ErrorCode.LineTooLong,
      `line exceeds ${maxBytes} bytes and was discarded up to the next newline`,
    );
  }
}
