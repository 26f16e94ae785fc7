import { PARAM_ARGS_METADATA } from '@nestjs/websockets/constants.js';

/**
 * Declares that a `@SubscribeMessage` handler takes Nest's arguments as they come, `(socket,
 * message)`, and resolves no parameter. Nest's parameter decorators record what to resolve under
 * `PARAM_ARGS_METADATA`; with an empty record Nest calls the handler directly. Without a record, it
 * resolves three default parameters on every message: a pipe chain, a `Promise.all` and three
 * promises, for each `init`, `ack` and `pong`. No pipe runs on such a handler, the application's
 * global ones included, so the handler validates its message itself. It replaces the record, so
 * it does not go with parameter decorators (`@MessageBody()`, ...) on the same handler.
 */
export function RawArguments(): MethodDecorator {
  return (target, method) =>
    Reflect.defineMetadata(PARAM_ARGS_METADATA, {}, target.constructor, method);
}
