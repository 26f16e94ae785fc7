/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** The server is shutting down. */
  GoingAway: 1001,
  /** A frame larger than `PUSH_MAX_FRAME_BYTES` (sent by `ws` itself). */
  MessageTooBig: 1009,
  /** The client stayed silent through `PUSH_PING_LIMIT` pings. */
  PingTimeout: 4408,
} as const;
