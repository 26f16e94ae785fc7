import type { Session } from './client.js';

/**
 * `updateSession`: the fields of `patch` replace those of `base`, and where both hold an object the
 * two are merged the same way, level by level (as GatewayWorker's `updateSession` does). Arrays
 * and other values are replaced whole. Fields are defined, never assigned, so a `__proto__` key
 * is kept as data.
 */
export function mergeSession(base: Session, patch: Session): Session {
  const merged: Session = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = Object.hasOwn(merged, key) ? merged[key] : undefined;
    Object.defineProperty(merged, key, {
      value:
        isObject(current) && isObject(value)
          ? mergeSession(current, value)
          : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return merged;
}

function isObject(value: unknown): value is Session {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
