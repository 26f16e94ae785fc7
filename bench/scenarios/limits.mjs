/** Milliseconds all clients of a measurement may take to connect and be bound. */
export const OPEN_TIMEOUT_MS = 120_000;

/**
 * How long to wait for the last messages: until none arrived for `stallMs`, at most `timeoutMs`
 * in all. What has not arrived then is lost.
 */
export const DRAIN = { stallMs: 5_000, timeoutMs: 300_000 };
