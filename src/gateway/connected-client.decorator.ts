import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ClientInfo } from '../registry/client.js';
import type { PushSocket } from './push-socket.js';

/**
 * In a `@SubscribeMessage` handler of any gateway: the connection that sent the message, with its
 * client id, uid, groups and session.
 */
export const ConnectedClient = createParamDecorator(
  (_: unknown, context: ExecutionContext): ClientInfo =>
    context.switchToWs().getClient<PushSocket>().client,
);
