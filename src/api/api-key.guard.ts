import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../common/errors/unauthorized.error.js';
import { PushConfig } from '../config/push-config.js';

/**
 * The HTTP API takes `Authorization: Bearer <PUSH_API_KEY>`. Without a key configured the API does
 * not exist (404). Keys are compared as SHA-256 digests, in constant time.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly key: Buffer | undefined;

  constructor(config: PushConfig) {
    this.key = config.apiKey === '' ? undefined : digest(config.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.key === undefined) {
      throw new NotFoundException();
    }
    const header = context.switchToHttp().getRequest<Request>()
      .headers.authorization;
    const given = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), this.key)) {
      throw new UnauthorizedError(
        'send "Authorization: Bearer <PUSH_API_KEY>"',
      );
    }
    return true;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
