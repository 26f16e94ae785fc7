/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** A backend closed the connection (`closeClient`). */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The client sent messages faster than `PUSH_MAX_MESSAGES_PER_SEC` again after a warning. */
  PolicyViolation: 1008,
  /** A message larger than `PUSH_MAX_FRAME_BYTES` (sent by `ws` itself). */
  MessageTooBig: 1009,
  /** The client did not read fast enough: its unsent data passed `PUSH_MAX_BUFFERED_BYTES`. */
  TryAgainLater: 1013,
  /** The client failed to prove its uid several times in a row (bad or missing tokens). */
  Unauthorized: 4401,
  /** The client stayed silent through `PUSH_PING_LIMIT` pings. */
  PingTimeout: 4408,
} as const;
