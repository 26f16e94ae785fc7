import {
  type ArgumentMetadata,
  Injectable,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { type ValidationError, validateSync } from 'class-validator';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
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
    const dto = copyInto(metatype, value);
    normalizeNames(dto);
    const errors = validateSync(dto, {
      stopAtFirstError: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
    if (errors.length > 0) {
      throw new InvalidMessageError(describe(errors));
    }
    return dto;
  }
}

function copyInto(metatype: Type, value: unknown): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError('expected a JSON object');
  }
  const dto = new metatype() as Record<string, unknown>;
  for (const [key, field] of Object.entries(value)) {
    // class-validator finds a DTO's rules through `constructor`; a field of that name in a
    // message is never a DTO field, and must not hide them.
    if (key !== 'constructor') {
      dto[key] = field;
    }
  }
  return dto;
}

function describe(errors: ValidationError[]): string {
  return errors
    .flatMap((error) => Object.values(error.constraints ?? {}))
    .join('; ');
}
