import type { WsAdapter } from '@nestjs/platform-ws';
import { Buffer } from 'node:buffer';
import { ForbiddenError } from '../common/errors/forbidden.error.js';
import { parseMessage } from '../common/protocol/parse-message.js';
import { isPushCommand } from '../push/push-command.js';

/**
 * The WebSocket adapter's `messageParser`: a frame's `type` selects the `@SubscribeMessage`
 * handler, which receives the whole message. Backend commands are refused here, before any
 * handler could run them.
 */
export const parseClientMessage: MessageParser = (frame) => {
  const message = parseMessage(decode(frame));
  if (isPushCommand(message.type)) {
    throw new ForbiddenError(message.type);
  }
  return { event: message.type, data: message };
};

type MessageParser = Parameters<WsAdapter['setMessageParser']>[0];
type Frame = Parameters<MessageParser>[0];

/** `ws` hands text frames over as a Buffer whose UTF-8 it has already validated. */
function decode(frame: Frame): string {
  if (typeof frame === 'string') {
    return frame;
  }
  if (Array.isArray(frame)) {
    return Buffer.concat(frame).toString();
  }
  return (Buffer.isBuffer(frame) ? frame : Buffer.from(frame)).toString();
}
