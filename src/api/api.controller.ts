import {
  Body,
  Controller,
  HttpCode,
  Post,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { InvalidMessageError } from '../common/errors/invalid-message.error.js';
import { type Reply, TextTransport } from '../push/transport/text.transport.js';
import { ApiErrorFilter } from './api-error.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { statusOf } from './status-of.js';

/**
 * The text port's commands over HTTP, for backends that cannot hold a TCP connection (serverless
 * functions, PHP-FPM): the same handlers, validation, replies and error codes, through another door.
 */
@Controller('api')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiErrorFilter)
export class ApiController {
  constructor(private readonly commands: TextTransport) {}

  /** One command, written as on the text port; its reply, 200 or (failed) 4xx/5xx. */
  @Post('push')
  @HttpCode(200)
  async push(
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Reply> {
    const reply = await this.commands.runCommand(body);
    if (!reply.ok) {
      response.status(statusOf(reply.error.code));
    }
    return reply;
  }

  /** Several commands, run in order; a reply for each, in order, 200 whatever they say. */
  @Post('commands')
  @HttpCode(200)
  async batch(@Body() body: unknown): Promise<Reply[]> {
    if (!Array.isArray(body)) {
      throw new InvalidMessageError(
        'the body must be a JSON array of commands',
      );
    }
    const replies: Reply[] = [];
    for (const command of body) {
      replies.push(await this.commands.runCommand(command));
    }
    return replies;
  }
}
