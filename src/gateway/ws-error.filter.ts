import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Logger,
} from '@nestjs/common';
import { PushError } from '../common/errors/push.error.js';
import type { PushSocket } from './push-socket.js';
import { sendError } from './send-error.js';

/**
 * Answers a failed WebSocket message with `{"type":"error",...}`. Nest's own filter would emit an
 * `exception` event in its own format; Pushgate's clients expect the protocol's error message.
 */
@Catch()
export class WsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PushGateway');

  catch(error: unknown, host: ArgumentsHost): void {
    if (!(error instanceof PushError)) {
      this.logger.error(error);
    }
    sendError(host.switchToWs().getClient<PushSocket>(), error);
  }
}
