import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsByteLength, IsString } from 'class-validator';

/** Longest uid accepted, in UTF-8 bytes. */
export const MAX_UID_BYTES = 256;

/**
 * A uid: a non-empty string of at most 256 UTF-8 bytes. Backends often hold ids as numbers, so a
 * JSON number is accepted and stands for its decimal string (`123` binds the same uid as `"123"`).
 */
export function IsUid(): PropertyDecorator {
  const message = `$property must be a non-empty string (or a number) of at most ${MAX_UID_BYTES} bytes`;
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : value,
    ),
    IsString({ message }),
    IsByteLength(1, MAX_UID_BYTES, { message }),
  );
}
