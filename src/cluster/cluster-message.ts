/**
 * What one node publishes to others. Every message names its origin node, so that a node skips
 * the copies of its own messages that come back to it on channels it listens to.
 */
export const MessageKind = {
  /** On a uid channel: a push to the uid's connections (`UidTarget`); the body is the frame. */
  Uid: 'u',
  /** On a group channel: a push to members (see `GroupCopy`); the body is the frame. */
  Group: 'g',
  /** On a node channel: a push to some of its connections (`ClientsTarget`); the body is the frame. */
  Clients: 'c',
  /** On the all channel: a push to every connection but the excluded; the body is the frame. */
  All: 'a',
  /** A call (`CallRequest`) to the nodes listening on the channel; each answers with a `Reply`. */
  Call: 'q',
  /** The answer to a call, on the caller's node channel (`CallReply`). */
  Reply: 'r',
  /** Where a push that waits for acknowledgements was written, to its origin node (`AckReport`). */
  Report: 'e',
  /** A browser acknowledged a push, to the push's origin node (`AckNotice`). */
  Ack: 'k',
  /**
   * Published by the script that reads a binding's backlog, on the binding node's channel
   * (`BindMarker`): once it arrives, so have the pushes published before the backlog was read.
   */
  Bound: 'b',
} as const;

export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** A message as read off a channel. `meta` is JSON text (or empty), parsed only by who needs it. */
export interface ClusterMessage {
  kind: MessageKind;
  origin: string;
  meta: string;
  body: string;
}

/**
 * Every push's meta says whether its frame is a string message (`text`), which a recovering
 * connection receives quoted in its envelope; a JSON message is inlined there.
 */
export interface PushMeta {
  text?: true;
}

/**
 * `Uid` meta (the channel names the uid): empty for a JSON message to a uid without a history.
 * `position` is the push's position in the uid's history; `ack` and `wait` say that its sender
 * waits that many milliseconds for acknowledgements.
 */
export interface UidTarget extends PushMeta {
  position?: number;
  ack?: true;
  wait?: number;
}

/**
 * `Report` meta: the recovering connections of the receiving node that a push was written to.
 * `settles`: the report is one its sender waits for (the publish reached the node, or the node
 * bound the uid the push was kept for); otherwise a connection recovered it later.
 */
export interface AckReport {
  uid: string;
  position: number;
  ids: string[];
  settles: boolean;
}

/** `Bound` meta: which binding's backlog was read. */
export interface BindMarker {
  binding: number;
}

/** `Ack` meta. */
export interface AckNotice {
  uid: string;
  position: number;
  id: string;
}

/** `Group` meta: the groups of the send, which of them this copy is for, who is excluded. */
export interface GroupCopy extends PushMeta {
  groups: string[];
  index: number;
  exclude?: string[];
}

/** `Clients` meta: the client ids, all on the receiving node. */
export interface ClientsTarget extends PushMeta {
  ids: string[];
}

/** `All` meta. */
export interface AllTarget extends PushMeta {
  exclude?: string[];
}

/** The operations one node may ask of another, each on connections the other one holds. */
export type CallOp =
  | 'bindUid'
  | 'unbindUid'
  | 'joinGroup'
  | 'leaveGroup'
  | 'setSession'
  | 'updateSession'
  | 'getSession'
  | 'closeClient'
  | 'ungroupHere';

export interface CallRequest {
  id: number;
  op: CallOp;
  args: unknown[];
}

export interface CallReply {
  id: number;
  result?: unknown;
  error?: { code: string; message: string };
}

const KINDS: ReadonlySet<string> = new Set(Object.values(MessageKind));

/**
 * The wire form, `<kind> <origin> <meta>\n<body>`: the body (a frame, often JSON already) is
 * appended as it is, not escaped into another JSON document. Node ids hold no space and JSON text
 * no raw newline, so the first line splits unambiguously.
 */
export function encodeMessage(
  kind: MessageKind,
  origin: string,
  meta?: object,
  body = '',
): string {
  return `${kind} ${origin} ${meta === undefined ? '' : JSON.stringify(meta)}\n${body}`;
}

/** A message read back, or undefined for text that is not one (from a foreign publisher, say). */
export function decodeMessage(text: string): ClusterMessage | undefined {
  const end = text.indexOf('\n');
  const space = text.indexOf(' ', 2);
  if (text[1] !== ' ' || end < 0 || space < 0 || space > end) {
    return undefined;
  }
  const kind = text[0]!;
  if (!KINDS.has(kind)) {
    return undefined;
  }
  return {
    kind: kind as MessageKind,
    origin: text.slice(2, space),
    meta: text.slice(space + 1, end),
    body: text.slice(end + 1),
  };
}
