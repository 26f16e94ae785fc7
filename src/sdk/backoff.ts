/**
 * Delay before reconnect attempt number `attempt` (0 for the first): full jitter, a random delay
 * between `minMs` and a cap that doubles with each attempt up to `maxMs`, so that many clients
 * cut off at once do not all come back at once.
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxMs, minMs * 2 ** attempt);
  return minMs + random() * (cap - minMs);
}
