import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';
import { quote } from './quote.js';

export class UnknownTypeError extends PushError {
  constructor(type: string) {
    super(ErrorCode.UnknownType, `unknown type ${quote(type)}`);
  }
}
