import { PARAM_ARGS_METADATA } from '@nestjs/websockets/constants.js';

/**
 * Declares that a `@SubscribeMessage` handler takes Nest's arguments as they come, `(socket,
 * message)`, and resolves no parameter. Nest's parameter decorators record what to resolve under
 * `PARAM_ARGS_METADATA`; with an empty record Nest calls the handler directly. Without a record, it
 * resolves three default parameters on every message: a pipe chain, a `Promise.all` and three
 * promises, for each `init`, `ack` and `pong`. No pipe runs on such a handler, the application's
 * global ones included, so the handler validates its message itself. A handler with parameter
 * decorators (`@MessageBody()`, ...) has a record already, which this would erase: it is refused.
 */
export function RawArguments(): MethodDecorator {
  return (target, method) => {
    if (
      Reflect.getOwnMetadata(
        PARAM_ARGS_METADATA,
        target.constructor,
        method,
      ) !== undefined
    ) {
      throw new Error(
        `${target.constructor.name}.${String(method)} has parameter decorators: @RawArguments() would erase them`,
      );
    }
    Reflect.defineMetadata(PARAM_ARGS_METADATA, {}, target.constructor, method);
  };
}
