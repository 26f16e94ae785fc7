import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorBody } from '../common/errors/error-body.js';
import { PushError } from '../common/errors/push.error.js';
import { statusOf } from './status-of.js';

/**
 * Answers a failed API request in the protocol's reply format, `{"ok":false,"error":{...}}`, as the
 * text port would. The one exception is the API being off: that is Nest's plain 404.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PushApi');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof HttpException) {
      response.status(error.getStatus()).json(error.getResponse());
      return;
    }
    if (!(error instanceof PushError)) {
      const request = host.switchToHttp().getRequest<Request>();
      this.logger.error(
        `request ${String(request.headers['x-request-id'])} failed`,
        error,
      );
    }
    const body = toErrorBody(error);
    response.status(statusOf(body.code)).json({ ok: false, error: body });
  }
}
