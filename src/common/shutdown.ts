/**
 * Milliseconds each phase of a shutdown may take: first the text port (lines received run, replies
 * are flushed), then the WebSockets (closed with 1001, each given this long to answer). Two
 * phases at most this long keep a shutdown under 5 s.
 */
export const SHUTDOWN_PHASE_MS = 2000;
