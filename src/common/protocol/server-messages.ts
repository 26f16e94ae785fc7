import type { ErrorBody } from '../errors/push.error.js';

/** Every message the server writes to a WebSocket, by `type`: declared once, for producers and docs. */
export interface ServerMessages {
  /**
   * Answer to `init`: the connection is bound to `task_id` and known as `client_id`. A recovering
   * connection learns the uid's newest `position`, and, when it gave `since`, whether everything
   * after it could be `recovered` (it follows) or not (the client should reload its state).
   */
  init_ok: {
    task_id: string;
    client_id: string;
    position?: number;
    recovered?: boolean;
  };
  /**
   * A push in the envelope of a recovering connection: its `position` on the connection's uid (none
   * for a push to a group or to everyone), `ack` when the sender waits for `{"type":"ack",...}`.
   */
  push: { position?: number; ack?: boolean; message: unknown };
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
