/** A command line that cannot be run as written; the CLI prints the usage and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
