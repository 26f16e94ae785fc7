import { BadJsonError } from '../errors/bad-json.error.js';
import { InvalidMessageError } from '../errors/invalid-message.error.js';

/** A decoded message, from a browser or a backend: a JSON object whose `type` names its handler. */
export interface PushMessage {
  type: string;
  [field: string]: unknown;
}

/**
 * Deepest nesting accepted in a message. Far beyond any real payload, and far below the depth at
 * which the recursive `JSON.stringify` and class-transformer overflow the stack (about 2,000),
 * so such input is refused here with a clear error instead of failing later.
 */
export const MAX_MESSAGE_DEPTH = 64;

/** Decodes one line or frame of either protocol; every rejection is a `PushError`. */
export function parseMessage(text: string): PushMessage {
  return withType(parseObject(text));
}

/** The first half of `parseMessage`, for a caller that needs other fields even when `type` is bad. */
export function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadJsonError((error as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError('a message must be a JSON object');
  }
  if (isDeeperThan(value, MAX_MESSAGE_DEPTH)) {
    throw new InvalidMessageError(
      `a message may not nest deeper than ${MAX_MESSAGE_DEPTH} levels`,
    );
  }
  return value as Record<string, unknown>;
}

/** The second half of `parseMessage`: checks that the object names its handler. */
export function withType(value: Record<string, unknown>): PushMessage {
  if (typeof value.type !== 'string' || value.type === '') {
    throw new InvalidMessageError('"type" must be a non-empty string');
  }
  return value as PushMessage;
}

function isDeeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  if (levels === 0) {
    return true;
  }
  for (const child of Object.values(value)) {
    if (isDeeperThan(child, levels - 1)) {
      return true;
    }
  }
  return false;
}
