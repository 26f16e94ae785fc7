import { ErrorCode } from './error-code.js';
import { PushError } from './push.error.js';

/**
 * Cluster mode: a command needed the other nodes and this node cannot reach them through Redis
 * now. Whatever could be done on this node alone was done; `message` says what.
 */
export class ClusterUnavailableError extends PushError {
  constructor(message: string) {
    super(ErrorCode.ClusterUnavailable, message);
  }
}
