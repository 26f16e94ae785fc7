import { afterEach } from 'vitest';

/**
 * The undo steps of each test of the enclosing `describe`: push one for everything a test opens,
 * and they run after it, the last first.
 */
export function useCleanup(): Array<() => unknown> {
  const steps: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) {
      await step();
    }
  });
  return steps;
}
