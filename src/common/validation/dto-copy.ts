import type { Type } from '@nestjs/common';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { generatedFunction } from './generated-function.js';

type Fields = Record<string, unknown>;
type Copy = (fields: Fields) => Fields;

const copies = new WeakMap<Type, Copy>();

/**
 * A new instance of a DTO class holding a message's fields, one level deep and exactly as sent:
 * the fields the class declares, and any other. A field named `constructor` is never copied:
 * class-validator finds a DTO's rules through `constructor`, and a message must not hide them.
 */
export function copyInto(metatype: Type, value: unknown): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError('expected a JSON object');
  }
  let copy = copies.get(metatype);
  if (copy === undefined) {
    copy = compileCopy(metatype) ?? ((fields) => copyAny(metatype, fields));
    copies.set(metatype, copy);
  }
  return copy(value as Fields);
}

/**
 * The copy as a function of the class's own, storing each field the class declares by its name
 * (see `generatedFunction`); undefined where code generation is off.
 */
function compileCopy(metatype: Type): Copy | undefined {
  const cases = Object.keys(new metatype() as object)
    .filter((key) => key !== 'constructor')
    .map((key) => {
      const name = JSON.stringify(key);
      return `\n      case ${name}: dto[${name}] = fields[${name}]; break;`;
    })
    .join('');
  const make = generatedFunction<(Dto: Type) => Copy>(
    ['Dto'],
    `return function copy(fields) {
  const dto = new Dto();
  for (const key in fields) {
    switch (key) {${cases}
      case 'constructor': break;
      default: dto[key] = fields[key];
    }
  }
  return dto;
};`,
  );
  return make?.(metatype);
}

function copyAny(metatype: Type, fields: Fields): Fields {
  const dto = new metatype() as Fields;
  for (const key in fields) {
    if (key !== 'constructor') {
      dto[key] = fields[key];
    }
  }
  return dto;
}
