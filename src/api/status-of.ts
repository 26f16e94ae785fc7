import { ErrorCode } from '../common/errors/error-code.js';

/** The HTTP status of an API reply that failed with `code`. */
export function statusOf(code: string): number {
  switch (code) {
    case ErrorCode.Unauthorized:
      return 401;
    case ErrorCode.Internal:
      return 500;
    case ErrorCode.ClusterUnavailable:
      return 503;
    default:
      return 400;
  }
}
