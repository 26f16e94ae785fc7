/** A message as it is written to connections: serialized once, however many receive it. */
export interface Frame {
  /** The frame's text: a string message as it is, anything else as its JSON. */
  readonly text: string;
  /** Whether the message was a string (so that its JSON is the quoted text). */
  readonly isText: boolean;
}

export function frameOf(message: unknown): Frame {
  return typeof message === 'string'
    ? { text: message, isText: true }
    : { text: JSON.stringify(message), isText: false };
}

/**
 * The message in the envelope a recovering connection receives:
 * `{"type":"push","position":N,"message":...}`, with `"ack":true` when the sender waits for an
 * acknowledgement. A push that is not to the connection's uid (a group's, everyone's) has no
 * position.
 */
export function envelope(
  frame: Frame,
  position: number | undefined,
  ack = false,
): string {
  const message = frame.isText ? JSON.stringify(frame.text) : frame.text;
  const at = position === undefined ? '' : `"position":${position},`;
  return `{"type":"push",${at}${ack ? '"ack":true,' : ''}"message":${message}}`;
}
