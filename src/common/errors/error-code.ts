/**
 * Every error code Pushgate sends, on the WebSocket (`{"type":"error","code":...}`) and on the
 * text port (`{"ok":false,"error":{"code":...}}`) alike. Clients match on these strings, so they
 * never change meaning once released.
 */
export const ErrorCode = {
  /** The line or frame is not valid JSON. */
  BadJson: 'bad_json',
  /** Valid JSON, but not a message: not an object, no `type`, wrong or missing fields. */
  InvalidMessage: 'invalid_message',
  /** No handler for this `type`. */
  UnknownType: 'unknown_type',
  /** A text-port line longer than `PUSH_MAX_LINE_BYTES`; the line is discarded. */
  LineTooLong: 'line_too_long',
  /** A text connection ended in the middle of a line (a line must end with `\n`). */
  IncompleteLine: 'incomplete_line',
  /** A binary WebSocket frame; the protocol is JSON text only. */
  BinaryFrame: 'binary_frame',
  /** The connection may not do this: bind that uid, say. */
  Unauthorized: 'unauthorized',
  /** Too many messages (or `init`s) from one WebSocket; the message was dropped. */
  RateLimited: 'rate_limited',
  /** A WebSocket client sent a backend command such as `send`. */
  Forbidden: 'forbidden',
  /** Cluster mode: the command needs the other nodes, and this node cannot reach Redis now. */
  ClusterUnavailable: 'cluster_unavailable',
  /** The server failed while handling a valid message; the details are in its log. */
  Internal: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
