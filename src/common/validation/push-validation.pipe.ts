import {
  type ArgumentMetadata,
  Injectable,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { type ValidationError, validateSync } from 'class-validator';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { compileRules } from './compiled-rules.js';
import { copyInto } from './dto-copy.js';
import { normalizeNames } from './is-name.decorator.js';

/** Parameter types that are not DTO classes. */
const PLAIN_TYPES: ReadonlySet<unknown> = new Set([
  String,
  Number,
  Boolean,
  Object,
  Array,
]);

/**
 * Validates a message against its DTO class with class-validator and hands the handler an
 * instance of it, for both protocols; failures become one `invalid_message` error naming every
 * offending field.
 *
 * The message's fields are copied one level deep, exactly as sent, so that a free-form value (a
 * `message`, `data` or `session`) reaches the handler whatever keys it holds. Nest's
 * `ValidationPipe` rebuilds nested values with class-transformer, which drops keys such as
 * `toString` and throws on an object under a `constructor` key, and costs a deep copy per push.
 * DTOs here are therefore flat.
 *
 * A valid message (the common case, and the hot one) is recognized by the DTO's compiled rules;
 * `validateSync` runs for the others, to say what is wrong.
 */
@Injectable()
export class PushValidationPipe implements PipeTransform {
  transform(value: unknown, { type, metatype }: ArgumentMetadata): unknown {
    // Only the message itself (`@MessageBody()`, `@Payload()`); not the socket or the context.
    if (
      type !== 'body' ||
      typeof metatype !== 'function' ||
      PLAIN_TYPES.has(metatype)
    ) {
      return value;
    }
    return validateMessage(metatype, value);
  }
}

/**
 * A message as an instance of its DTO class, checked against the class's rules; throws
 * `invalid_message` naming every offending field. What the pipe does, for a caller that holds
 * the message itself: the text transport, for handlers that take lines in batches, and the
 * gateway's own handlers (see `PushGateway`).
 */
export function validateMessage<T extends object>(
  dtoClass: Type<T>,
  value: unknown,
): T {
  const dto = copyInto(dtoClass, value);
  normalizeNames(dto);
  if (compileRules(dtoClass)?.(dto) === true) {
    return dto as T;
  }
  const errors = validateSync(dto, {
    stopAtFirstError: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new InvalidMessageError(describe(errors));
  }
  return dto as T;
}

function describe(errors: ValidationError[]): string {
  return errors
    .flatMap((error) => Object.values(error.constraints ?? {}))
    .join('; ');
}
