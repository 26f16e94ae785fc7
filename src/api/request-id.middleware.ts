import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** An id a client or proxy may give; anything else is replaced. */
const SANE_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every HTTP request an id, `X-Request-Id` (the caller's own when it sends a sane one), in
 * the response and in the log lines about the request.
 */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    const given = request.headers['x-request-id'];
    const id =
      typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
    request.headers['x-request-id'] = id;
    response.setHeader('x-request-id', id);
    next();
  }
}
