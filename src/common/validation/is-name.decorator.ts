import 'reflect-metadata';
import { IsArray, ValidateBy } from 'class-validator';
import { Buffer } from 'node:buffer';

/** Longest uid or group name accepted, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 256;

/** Where a DTO class lists its name fields, for `normalizeNames`. */
const NAME_FIELDS = Symbol('pushgate:name-fields');

interface NameField {
  key: string;
  each: boolean;
}

/**
 * A uid or a group name: a non-empty string of at most 256 UTF-8 bytes. Backends often hold ids
 * as numbers, so a JSON number is accepted and stands for its decimal string (`123` is `"123"`;
 * see `normalizeNames`). With `each`, the field is an array of them.
 */
export function IsName({ each = false } = {}): PropertyDecorator {
  const message = each
    ? `$property must be an array of non-empty strings (or numbers) of at most ${MAX_NAME_BYTES} bytes each`
    : `$property must be a non-empty string (or a number) of at most ${MAX_NAME_BYTES} bytes`;
  const validate = ValidateBy(
    { name: 'isName', validator: { validate: isName } },
    { each, message },
  );
  return (target, key) => {
    const fields: NameField[] = Reflect.getMetadata(NAME_FIELDS, target) ?? [];
    Reflect.defineMetadata(
      NAME_FIELDS,
      [...fields, { key: String(key), each }],
      target,
    );
    if (each) {
      IsArray({ message })(target, key);
    }
    validate(target, key);
  };
}

/** Each DTO class's name fields, read once from its metadata (complete once the class is defined). */
const nameFields = new WeakMap<object, readonly NameField[]>();

/** Turns the numbers in a DTO's name fields into their decimal strings, before validation. */
export function normalizeNames(dto: object): void {
  const prototype = Object.getPrototypeOf(dto) as object;
  let fields = nameFields.get(prototype);
  if (fields === undefined) {
    fields = (Reflect.getMetadata(NAME_FIELDS, dto) as NameField[]) ?? [];
    nameFields.set(prototype, fields);
  }
  const values = dto as Record<string, unknown>;
  for (const { key, each } of fields) {
    const value = values[key];
    values[key] =
      each && Array.isArray(value) ? value.map(fromNumber) : fromNumber(value);
  }
}

function isName(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value !== '' &&
    // A lone UTF-16 surrogate has no UTF-8 form, so it cannot be part of a name.
    value.isWellFormed() &&
    Buffer.byteLength(value) <= MAX_NAME_BYTES
  );
}

function fromNumber(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value)
    ? String(value)
    : value;
}
