import { IsString } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { compileRules } from './compiled-rules.js';
import { copyInto } from './dto-copy.js';
import { generatedFunction } from './generated-function.js';
import { validateMessage } from './push-validation.pipe.js';

/**
 * Runs `body` as under `node --disallow-code-generation-from-strings`, where `new Function`
 * throws. Only for the first use of a class: what is made then is kept for the class.
 */
function withoutCodeGeneration<T>(body: () => T): T {
  const { Function: original } = globalThis;
  globalThis.Function = function () {
    throw new EvalError('Code generation from strings disallowed');
  } as unknown as FunctionConstructor;
  try {
    return body();
  } finally {
    globalThis.Function = original;
  }
}

describe(generatedFunction, () => {
  it('makes a function from parameters and a body', () => {
    const add = generatedFunction<(a: number, b: number) => number>(
      ['a', 'b'],
      'return a + b;',
    );
    expect(add?.(2, 3)).toBe(5);
  });

  it('throws an error in the source instead of hiding it behind the generic path', () => {
    expect(() => generatedFunction([], 'return (;')).toThrow(SyntaxError);
  });

  describe('where code generation is off', () => {
    it('makes no function', () => {
      expect(
        withoutCodeGeneration(() => generatedFunction(['a'], 'return a;')),
      ).toBeUndefined();
    });

    it('leaves copyInto copying a message into its DTO all the same', () => {
      class Dto {
        uid: string | undefined = undefined;
        exclude: string[] = [];
      }
      const message = JSON.parse(
        '{"type":"t","uid":"u","constructor":"x","extra":1}',
      ) as unknown;
      const dto = withoutCodeGeneration(() => copyInto(Dto, message));
      expect(dto).toBeInstanceOf(Dto);
      expect({ ...dto }).toEqual({
        uid: 'u',
        exclude: [],
        type: 't',
        extra: 1,
      });
      // What was made for the class then is what it keeps.
      expect({ ...copyInto(Dto, message) }).toEqual({ ...dto });
    });

    it('leaves a DTO without compiled rules, and validateSync deciding', () => {
      class Named {
        @IsString()
        name!: string;
      }
      expect(withoutCodeGeneration(() => compileRules(Named))).toBeNull();
      expect(validateMessage(Named, { name: 'n' }).name).toBe('n');
      expect(() => validateMessage(Named, { name: 1 })).toThrow(
        'name must be a string',
      );
    });
  });
});
