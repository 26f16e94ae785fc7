import { toErrorBody } from '../common/errors/error-body.js';
import type { ServerMessage } from '../common/protocol/server-messages.js';
import type { PushSocket } from './push-socket.js';

/** Tells a WebSocket client what was wrong with its message; the connection stays open. */
export function sendError(socket: PushSocket, error: unknown): void {
  const message: ServerMessage<'error'> = {
    type: 'error',
    ...toErrorBody(error),
  };
  socket.context.metrics.errorAnswered(message.code);
  socket.push(JSON.stringify(message));
}
