import type { ErrorBody } from '../errors/push.error.js';

/** Every message the server writes to a WebSocket, by `type`: declared once, for producers and docs. */
export interface ServerMessages {
  /** Answer to `init`: the connection is bound to `task_id` and known as `client_id`. */
  init_ok: { task_id: string; client_id: string };
  /** Heartbeat; the client answers `{"type":"pong"}`. */
  ping: Record<never, never>;
  /** A message the server could not accept. */
  error: ErrorBody;
  /** Pushed by the `send` command. */
  login_status: { openid: string; data: unknown };
}

export type ServerMessage<T extends keyof ServerMessages> = {
  type: T;
} & ServerMessages[T];
