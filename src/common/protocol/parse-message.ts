import { BadJsonError } from '../errors/bad-json.error.js';
import { InvalidMessageError } from '../errors/invalid-message.error.js';

/** A decoded message, from a browser or a backend: a JSON object whose `type` names its handler. */
export interface PushMessage {
  type: string;
  [field: string]: unknown;
}

/**
 * Deepest nesting accepted in a message. Far beyond any real payload, and far below the depth at
 * which the recursive `JSON.stringify` overflows the stack (a few thousand), so such input is
 * refused here with a clear error instead of failing later.
 */
export const MAX_MESSAGE_DEPTH = 64;

/** Decodes one line or frame of either protocol; every rejection is a `PushError`. */
export function parseMessage(text: string): PushMessage {
  return toMessage(parseObject(text));
}

/** The first half of `parseMessage`, for a caller that needs a field (an `id`) of a bad message. */
export function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadJsonError((error as Error).message);
  }
  return asObject(value);
}

/** A decoded JSON value that must be an object to be a message. */
export function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError('a message must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The second half of `parseMessage`: checks the object's shape and that it names its handler. */
export function toMessage(value: Record<string, unknown>): PushMessage {
  checkShape(value, MAX_MESSAGE_DEPTH);
  if (typeof value.type !== 'string' || value.type === '') {
    throw new InvalidMessageError('"type" must be a non-empty string');
  }
  return value as PushMessage;
}

/**
 * Refuses nesting deeper than `levels`, and `__proto__` keys: `JSON.parse` keeps such a key as
 * data, but code that copies the object by assignment would set a prototype with it instead.
 */
function checkShape(value: unknown, levels: number): void {
  if (typeof value !== 'object' || value === null) {
    return;
  }
  if (levels === 0) {
    throw new InvalidMessageError(
      `a message may not nest deeper than ${MAX_MESSAGE_DEPTH} levels`,
    );
  }
  if (Object.hasOwn(value, '__proto__')) {
    throw new InvalidMessageError(
      'a message may not contain a "__proto__" key',
    );
  }
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    checkShape(fields[key], levels - 1);
  }
}
