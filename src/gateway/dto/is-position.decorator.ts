import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';

const message = '$property must be a position: a whole number from 0';

/** A position on a uid, as envelopes carry it. */
export function IsPosition(): PropertyDecorator {
  return applyDecorators(
    IsInt({ message }),
    Min(0, { message }),
    Max(Number.MAX_SAFE_INTEGER, { message }),
  );
}
