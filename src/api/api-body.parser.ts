import express, { type RequestHandler } from 'express';
import { ErrorCode } from '../common/errors/error-code.js';

/**
 * Parses the JSON body of the API's routes, ahead of the application's own parser, so that a body
 * that is not JSON (or too large) gets the protocol's error reply, as on the text port, instead of
 * the framework's generic 400.
 */
export function apiBodyParser(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes });
  return (request, response, next) =>
    parse(request, response, (error?: { type?: string; message: string }) => {
      if (error === undefined) {
        return next();
      }
      const tooLarge = error.type === 'entity.too.large';
      response.status(tooLarge ? 413 : 400).json({
        ok: false,
        error: tooLarge
          ? {
              code: ErrorCode.LineTooLong,
              message: `the body exceeds ${limitBytes} bytes`,
            }
          : {
              code: ErrorCode.BadJson,
              message: `the body is not valid JSON: ${error.message}`,
            },
      });
    });
}
