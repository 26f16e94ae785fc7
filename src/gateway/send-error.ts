import { WebSocket } from 'ws';
import { toErrorBody } from '../common/errors/error-body.js';
import type { ServerMessage } from '../common/protocol/server-messages.js';

/** Tells a WebSocket client what was wrong with its message; the connection stays open. */
export function sendError(socket: WebSocket, error: unknown): void {
  if (socket.readyState !== WebSocket.OPEN) {
    return;
  }
  const message: ServerMessage<'error'> = {
    type: 'error',
    ...toErrorBody(error),
  };
  socket.send(JSON.stringify(message));
}
