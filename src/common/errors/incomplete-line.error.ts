import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class IncompleteLineError extends PushError {
  constructor(bytes: number) {
    super(
      ErrorCode.IncompleteLine,
      `the connection ended ${bytes} bytes into a line; a line must end with \\n`,
    );
  }
}
