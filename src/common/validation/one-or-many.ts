import { applyDecorators } from '@nestjs/common';
import { IsDefined, ValidateIf } from 'class-validator';

/**
 * For a target given as `name` or as the list `names` (`uid`/`uids`, `group`/`groups`): on the
 * singular field, validate it only when it is there.
 */
export function IfGiven(): PropertyDecorator {
  return ValidateIf((_, value) => value !== undefined);
}

/** On the plural field: it is required unless the singular `single` is given. */
export function UnlessGiven(single: string): PropertyDecorator {
  return applyDecorators(
    ValidateIf(
      (dto: Record<string, unknown>, value) =>
        dto[single] === undefined || value !== undefined,
    ),
    IsDefined({ message: `${single} or $property is required` }),
  );
}

/** The targets of a one-or-many pair: the single one alone, or all of them. */
export function targets<T>(one: T | undefined, many: T[] | undefined): T | T[] {
  if (many === undefined) {
    return one as T;
  }
  return one === undefined ? many : [one, ...many];
}
