import { RpcException } from '@nestjs/microservices';
import type { ErrorCode } from './error-code.js';

/** The wire form of an error, shared by both protocols. */
export interface ErrorBody {
  /** One of `ErrorCode`, or a code an embedding application defines for its own messages. */
  code: ErrorCode | (string & {});
  message: string;
}

/**
 * Base of every error Pushgate reports to a client. Its `code` is stable and goes on the wire;
 * its `message` is for the human reading the reply.
 *
 * It is an `RpcException` carrying its own body, so that Nest's default RPC exception filter
 * hands the body to the text transport unchanged, for Pushgate's handlers and for handlers an
 * embedding application adds.
 */
export class PushError extends RpcException {
  constructor(
    readonly code: ErrorBody['code'],
    message: string,
  ) {
    super({ code, message } satisfies ErrorBody);
    this.name = new.target.name;
  }

  override getError(): ErrorBody {
    return super.getError() as ErrorBody;
  }
}
