import { Injectable, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { InvalidMessageError } from '../errors/invalid-message.error.js';

/**
 * Validates and transforms message DTOs for both protocols, turning class-validator's findings
 * into one `invalid_message` error that names every offending field.
 */
@Injectable()
export class PushValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new InvalidMessageError(describe(errors)),
    });
  }
}

function describe(errors: ValidationError[]): string {
  return errors
    .flatMap((error) => Object.values(error.constraints ?? {}))
    .join('; ');
}
