import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsArray, IsByteLength, IsString } from 'class-validator';

/** Longest uid or group name accepted, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 256;

/**
 * A uid or a group name: a non-empty string of at most 256 UTF-8 bytes. Backends often hold ids
 * as numbers, so a JSON number is accepted and stands for its decimal string (`123` is `"123"`).
 * With `each`, the field is an array of them.
 */
export function IsName({ each = false } = {}): PropertyDecorator {
  const message = each
    ? `$property must be an array of non-empty strings (or numbers) of at most ${MAX_NAME_BYTES} bytes each`
    : `$property must be a non-empty string (or a number) of at most ${MAX_NAME_BYTES} bytes`;
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      each && Array.isArray(value) ? value.map(fromNumber) : fromNumber(value),
    ),
    ...(each ? [IsArray({ message })] : []),
    IsString({ each, message }),
    IsByteLength(1, MAX_NAME_BYTES, { each, message }),
  );
}

function fromNumber(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value)
    ? String(value)
    : value;
}
