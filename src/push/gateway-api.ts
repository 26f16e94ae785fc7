import type { Session } from '../registry/client.js';
import type { Receipt } from './receipt.js';

/** Who gets a `sendToAll`. */
export interface SendToAllOptions {
  /** Only these connections (every connection when absent). */
  clientIds?: readonly string[];
  /** Never these connections. */
  exclude?: readonly string[];
}

/** How a send to uids is made. */
export interface SendToUidOptions {
  /**
   * Wait until every recovering connection it reaches (or, kept for a uid without one, the first
   * to bind it) acknowledges it, or until the time is up; the receipt says how many did.
   */
  ack?: boolean;
  /** Milliseconds to wait for the acknowledgements; default `PUSH_ACK_TIMEOUT_MS`. */
  ackTimeoutMs?: number;
}

/**
 * GatewayWorker's `Gateway::` API. `PushService` implements it in process, `PushClient` over the
 * text port, so code written against it runs either way. Unknown client ids, uids and groups are
 * not errors: a send reaches nobody, a query answers false, null, [] or 0.
 *
 * A message is a string, sent as it is, or any other JSON value, serialized once however many
 * connections receive it. Every send resolves to the number of connections it was written to,
 * counting each connection once even when it matches several targets.
 */
export interface GatewayApi {
  sendToUid(
    uids: string | readonly string[],
    message: unknown,
  ): Promise<number>;
  /**
   * `sendToUid`, saying also what became of the message: kept for uids without a connection, and
   * with `ack`, acknowledged by how many browsers.
   */
  sendToUidWithReceipt(
    uids: string | readonly string[],
    message: unknown,
    options?: SendToUidOptions,
  ): Promise<Receipt>;
  sendToClient(
    clientIds: string | readonly string[],
    message: unknown,
  ): Promise<number>;
  sendToGroup(
    groups: string | readonly string[],
    message: unknown,
    exclude?: readonly string[],
  ): Promise<number>;
  sendToAll(message: unknown, options?: SendToAllOptions): Promise<number>;

  /** Binds the connection to `uid`, moving it off its previous uid; false for an unknown client. */
  bindUid(clientId: string, uid: string): Promise<boolean>;
  /** Unbinds the connection when it is bound to `uid`; false when it was not. */
  unbindUid(clientId: string, uid: string): Promise<boolean>;
  joinGroup(clientId: string, group: string): Promise<boolean>;
  /** False when the connection was not in the group. */
  leaveGroup(clientId: string, group: string): Promise<boolean>;
  /** Dissolves the group; resolves to how many connections were in it. */
  ungroup(group: string): Promise<number>;

  isOnline(clientId: string): Promise<boolean>;
  isUidOnline(uid: string): Promise<boolean>;
  getClientIdByUid(uid: string): Promise<string[]>;
  getUidByClientId(clientId: string): Promise<string | null>;
  getClientIdListByGroup(group: string): Promise<string[]>;
  getClientCountByGroup(group: string): Promise<number>;
  /** The distinct uids bound to members of the group. */
  getUidListByGroup(group: string): Promise<string[]>;
  getUidCountByGroup(group: string): Promise<number>;
  getAllClientIdList(): Promise<string[]>;
  getAllClientCount(): Promise<number>;
  getAllUidList(): Promise<string[]>;
  getAllUidCount(): Promise<number>;
  getAllGroupIdList(): Promise<string[]>;

  /** The connection's session (`{}` when none was set), or null for an unknown client. */
  getSession(clientId: string): Promise<Session | null>;
  /** Replaces the connection's session; false for an unknown client. */
  setSession(clientId: string, session: Session): Promise<boolean>;
  /** Merges into the session: objects level by level, anything else replaced. */
  updateSession(clientId: string, session: Session): Promise<boolean>;
  /** Sends `message` (when given), then closes the connection with 1000; false for an unknown client. */
  closeClient(clientId: string, message?: unknown): Promise<boolean>;
}
