import {
  getMetadataStorage,
  IS_OPTIONAL,
  ValidationTypes,
} from 'class-validator';
import { generatedFunction } from './generated-function.js';

/** Whether an object is valid by its DTO's rules; `undefined` when it cannot be told this way. */
export type CompiledRules = (
  dto: Record<string, unknown>,
) => boolean | undefined;

type Metadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

interface Check {
  validateIf: ((object: object, value: unknown) => boolean) | undefined;
  each: boolean;
  validate: (value: unknown, args: CheckArguments) => unknown;
  /**
   * What class-validator passes a constraint besides the value. One object per check, filled in
   * for each call rather than made anew: validation is synchronous, and this is the hot path.
   */
  args: CheckArguments;
}

interface CheckArguments {
  targetName: string;
  property: string;
  object: object | undefined;
  value: unknown;
  constraints: unknown[];
}

interface PropertyRules {
  name: string;
  /** `IsOptional`: checked only when neither null nor undefined. */
  optional: boolean;
  /** Other conditions (`ValidateIf`). */
  conditions: Array<(object: object, value: unknown) => boolean>;
  checks: Check[];
}

const cache = new WeakMap<object, CompiledRules | null>();

/**
 * A DTO class's class-validator rules, compiled once into one function that answers "valid or
 * not" by calling the same constraint functions, without what `validateSync` does per call
 * (error objects, groups, option handling). It decides the common case (a valid message) fast;
 * an invalid message still goes through `validateSync`, which says what is wrong.
 *
 * It takes flat DTOs made of conditions (`ValidateIf`, `IsOptional`), `IsDefined` and synchronous
 * constraints, `each` included: null (no compiled form) for a class with anything else.
 */
export function compileRules(dtoClass: object): CompiledRules | null {
  let rules = cache.get(dtoClass);
  if (rules === undefined) {
    rules = compile(dtoClass as new () => object);
    cache.set(dtoClass, rules);
  }
  return rules;
}

function compile(dtoClass: new () => object): CompiledRules | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(
    dtoClass,
    '',
    false,
    false,
  );
  if (metadatas.length === 0) {
    return null;
  }
  const properties: PropertyRules[] = [];
  for (const [name, own] of Object.entries(
    storage.groupByPropertyName(metadatas),
  )) {
    const property: PropertyRules = {
      name,
      optional: false,
      conditions: [],
      checks: [],
    };
    for (const metadata of own) {
      // `IsOptional`'s condition reads the property by a name it holds, which V8 cannot learn
      // across classes; the same test on the value already read costs nothing.
      if (metadata.name === IS_OPTIONAL) {
        property.optional = true;
      } else if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        property.conditions.push(
          metadata.constraints[0] as PropertyRules['conditions'][number],
        );
      } else if (
        metadata.type === ValidationTypes.CUSTOM_VALIDATION ||
        metadata.type === ValidationTypes.IS_DEFINED
      ) {
        const checks = checksOf(dtoClass, metadata, storage);
        if (checks === null) {
          return null;
        }
        property.checks.push(...checks);
      } else {
        return null;
      }
    }
    properties.push(property);
  }
  return generate(properties);
}

/**
 * The rules as one function of their own (see `generatedFunction`); null where code generation
 * is off, and validateSync then decides every message. With this, and `optional`, a push costs 5%
 * fewer instructions in the main thread (callgrind, `fanout`).
 */
function generate(properties: PropertyRules[]): CompiledRules | null {
  const body = properties
    .map(
      ({ name, optional }, index) => `
  value = dto[${JSON.stringify(name)}];
  if (${optional ? 'value !== null && value !== undefined && ' : ''}holds(properties[${index}].conditions, dto, value)) {
    for (const check of properties[${index}].checks) {
      const valid = passes(check, dto, value);
      if (valid !== true) {
        return valid;
      }
    }
  }`,
    )
    .join('');
  const make = generatedFunction<
    (
      properties: PropertyRules[],
      conditionsHold: typeof holds,
      checkPasses: typeof passes,
    ) => CompiledRules
  >(
    ['properties', 'holds', 'passes'],
    `return function rules(dto) {
  let value;${body}
  return true;
};`,
  );
  return make?.(properties, holds, passes) ?? null;
}

function holds(
  conditions: PropertyRules['conditions'],
  dto: object,
  value: unknown,
): boolean {
  for (const condition of conditions) {
    if (!condition(dto, value)) {
      return false;
    }
  }
  return true;
}

function checksOf(
  dtoClass: new () => object,
  metadata: Metadata,
  storage: ReturnType<typeof getMetadataStorage>,
): Check[] | null {
  const checks: Check[] = [];
  for (const constraint of storage.getTargetValidatorConstraints(
    metadata.constraintCls,
  )) {
    if (constraint.async) {
      return null;
    }
    const instance = constraint.instance as { validate: Check['validate'] };
    checks.push({
      validateIf: metadata.validateIf,
      each: metadata.each,
      validate: instance.validate.bind(instance),
      args: {
        targetName: dtoClass.name,
        property: metadata.propertyName,
        object: undefined,
        value: undefined,
        constraints: metadata.constraints,
      },
    });
  }
  return checks;
}

/** One constraint on one value, as class-validator's executor applies it; undefined when async. */
function passes(
  check: Check,
  dto: Record<string, unknown>,
  value: unknown,
): boolean | undefined {
  if (check.validateIf !== undefined && !check.validateIf(dto, value)) {
    return true;
  }
  // A constraint may validate another message with the same rules: its arguments are put back.
  const { args } = check;
  const outerObject = args.object;
  const outerValue = args.value;
  args.object = dto;
  args.value = value;
  try {
    if (
      check.each &&
      (Array.isArray(value) || value instanceof Set || value instanceof Map)
    ) {
      for (const item of value instanceof Map ? value.values() : value) {
        const valid = verdict(check.validate(item, args));
        if (valid !== true) {
          return valid;
        }
      }
      return true;
    }
    return verdict(check.validate(value, args));
  } finally {
    // At the outermost call, this also lets go of the message.
    args.object = outerObject;
    args.value = outerValue;
  }
}

/** A constraint's result as the compiled rules answer it: undefined when it is async. */
function verdict(result: unknown): boolean | undefined {
  return result instanceof Promise ? undefined : Boolean(result);
}
