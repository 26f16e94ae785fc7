import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

export class BinaryFrameError extends PushError {
  constructor() {
    super(
      ErrorCode.BinaryFrame,
      'binary frames are not supported; send JSON text',
    );
  }
}
