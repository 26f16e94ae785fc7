/**
 * Codes the client adds to the server's error codes (`bad_json`, `invalid_message`, ...), for
 * failures that happen on the way.
 */
export const ClientErrorCode = {
  /** No reply within `timeoutMs`, waiting for a connection included. */
  Timeout: 'timeout',
  /** The connection dropped after the request was written; it may or may not have run. */
  ConnectionLost: 'connection_lost',
  /** More than `maxQueuedRequests` were waiting to be written. */
  QueueFull: 'queue_full',
  /** The client was closed before the request could be written. */
  Closed: 'closed',
  /** The server answered with something that is not a reply line: not a Pushgate text port? */
  BadReply: 'bad_reply',
} as const;

/** A request that failed: `code` is the server's error code, or one of `ClientErrorCode`. */
export class PushClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PushClientError';
  }
}
