import { ErrorCode } from './error-code.js';
import { type ErrorBody, PushError } from './push.error.js';

const INTERNAL: ErrorBody = {
  code: ErrorCode.Internal,
  message: 'internal error; see the server log',
};

/**
 * What a client is told about a failure. A `PushError` speaks for itself; so does a body that an
 * exception filter already made of one. Anything else is a server bug: the client gets
 * `internal_error`, and the details stay in the log.
 */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof PushError) {
    return error.getError();
  }
  if (isErrorBody(error)) {
    return { code: error.code, message: error.message };
  }
  return INTERNAL;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorBody).code === 'string' &&
    typeof (value as ErrorBody).message === 'string'
  );
}
