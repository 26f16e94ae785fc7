import { Logger } from '@nestjs/common';

/** Said once per process: the generic path is correct, but it costs more per message. */
let warned = false;

/**
 * A function made from source, for one DTO class: undefined where code generation is off
 * (`node --disallow-code-generation-from-strings`), and the caller then takes its generic path.
 * Any other error is a bug in the source, and is thrown.
 *
 * Why: V8 learns the object shapes and property names an access sees at that access. A function
 * shared by every DTO class, reading `object[name]`, sees all their shapes and names, and each
 * of its accesses takes V8's slowest path. A function of its own per class, reading each
 * property by its name, keeps every access to one shape and one name. The sources hold nothing
 * from a message: only a class's property names, written as JSON string literals.
 */
export function generatedFunction<F>(
  parameters: readonly string[],
  body: string,
): F | undefined {
  try {
    // oxlint-disable-next-line typescript/no-implied-eval -- see above: no message is ever part of the source.
    return new Function(...parameters, body) as F;
  } catch (error) {
    if (!(error instanceof EvalError)) {
      throw error;
    }
    if (!warned) {
      warned = true;
      new Logger('Pushgate').warn(
        'Code generation from strings is disallowed: messages are copied into their DTOs and validated generically, which costs more per message',
      );
    }
    return undefined;
  }
}
