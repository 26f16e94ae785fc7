const MAX_ECHO = 64;

/**
 * Quotes client input for an error message, shortened so that a reply never echoes back more than
 * a few bytes of what was sent.
 */
export function quote(input: string): string {
  const shown =
    input.length > MAX_ECHO ? `${input.slice(0, MAX_ECHO)}...` : input;
  return JSON.stringify(shown);
}
