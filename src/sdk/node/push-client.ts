import type {
  GatewayApi,
  SendToAllOptions,
  SendToUidOptions,
} from '../../push/gateway-api.js';
import { Receipt } from '../../push/receipt.js';
import type { Session } from '../../registry/client.js';
import type { ConnectionOptions } from 'node:tls';
import {
  TextConnection,
  type TextConnectionOptions,
} from './text-connection.js';

export interface PushClientOptions {
  /** Host of the text port. Default `127.0.0.1`. */
  host?: string;
  /** The text port. Default 8806. */
  port?: number;
  /** Milliseconds a request may take, waiting for a connection included. Default 5000. */
  timeoutMs?: number;
  /** Shortest delay before a reconnect attempt, in milliseconds. Default 100. */
  minReconnectDelayMs?: number;
  /** Longest delay before a reconnect attempt, in milliseconds. Default 5000. */
  maxReconnectDelayMs?: number;
  /** Requests that may wait to be written; beyond, a request fails at once with `queue_full`. Default 10,000. */
  maxQueuedRequests?: number;
  /** The server's `PUSH_TEXT_SECRET`, sent first on every connection. Default none. */
  secret?: string;
  /** Connect with TLS (the server sets `PUSH_TEXT_TLS_CERT`): true, or options such as `ca`. Default plain TCP. */
  tls?: ConnectionOptions | boolean;
}

/** Milliseconds a send with `ack` waits for acknowledgements unless it says. */
const DEFAULT_ACK_TIMEOUT_MS = 5000;

const DEFAULTS: TextConnectionOptions = {
  host: '127.0.0.1',
  port: 8806,
  timeoutMs: 5000,
  minReconnectDelayMs: 100,
  maxReconnectDelayMs: 5000,
  maxQueuedRequests: 10_000,
  secret: undefined,
  tls: undefined,
};

/**
 * A typed client of Pushgate's text port for Node backends: one persistent connection, a method
 * per command, automatic reconnect. A failed command rejects with a `PushClientError` whose `code`
 * is the server's error code (or a client one: `timeout`, `connection_lost`, ...).
 *
 * ```ts
 * const push = new PushClient({ port: 8806 });
 * await push.sendToUid('user 42', { type: 'notice', text: 'Paid' }); // connections reached
 * await push.close();
 * ```
 */
export class PushClient extends TextConnection implements GatewayApi {
  constructor(options: PushClientOptions = {}) {
    const given = Object.entries(options).filter(([, v]) => v !== undefined);
    super({ ...DEFAULTS, ...Object.fromEntries(given) });
  }

  /** The login-status shortcut: `{"type":"login_status","openid":...,"data":...}` to `taskId`. */
  send(taskId: string, openid: string, data?: unknown): Promise<number> {
    return this.request('send', { task_id: taskId, openid, data });
  }

  sendToUid(
    uids: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    return this.request('sendToUid', { ...oneOrMany('uid', uids), message });
  }

  /**
   * `sendToUid` with its receipt. With `ack`, the server answers when the wait ends; the requests
   * made meanwhile are answered without waiting for it.
   */
  async sendToUidWithReceipt(
    uids: string | readonly string[],
    message: unknown,
    {
      ack = false,
      ackTimeoutMs = DEFAULT_ACK_TIMEOUT_MS,
    }: SendToUidOptions = {},
  ): Promise<Receipt> {
    const fields = { ...oneOrMany('uid', uids), message };
    const reply = ack
      ? await this.exchange(
          'sendToUid',
          { ...fields, ack, ack_timeout_ms: ackTimeoutMs },
          this.options.timeoutMs + ackTimeoutMs,
          true,
        )
      : await this.exchange('sendToUid', fields);
    return new Receipt(
      reply.result as number,
      reply.buffered ?? 0,
      reply.acked,
    );
  }

  sendToClient(
    clientIds: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    return this.request('sendToClient', {
      ...oneOrMany('client_id', clientIds),
      message,
    });
  }

  sendToGroup(
    groups: string | readonly string[],
    message: unknown,
    exclude?: readonly string[],
  ): Promise<number> {
    return this.request('sendToGroup', {
      ...oneOrMany('group', groups),
      message,
      exclude,
    });
  }

  sendToAll(
    message: unknown,
    { clientIds, exclude }: SendToAllOptions = {},
  ): Promise<number> {
    return this.request('sendToAll', {
      message,
      client_ids: clientIds,
      exclude,
    });
  }

  bindUid(clientId: string, uid: string): Promise<boolean> {
    return this.request('bindUid', { client_id: clientId, uid });
  }

  unbindUid(clientId: string, uid: string): Promise<boolean> {
    return this.request('unbindUid', { client_id: clientId, uid });
  }

  joinGroup(clientId: string, group: string): Promise<boolean> {
    return this.request('joinGroup', { client_id: clientId, group });
  }

  leaveGroup(clientId: string, group: string): Promise<boolean> {
    return this.request('leaveGroup', { client_id: clientId, group });
  }

  ungroup(group: string): Promise<number> {
    return this.request('ungroup', { group });
  }

  isOnline(clientId: string): Promise<boolean> {
    return this.request('isOnline', { client_id: clientId });
  }

  isUidOnline(uid: string): Promise<boolean> {
    return this.request('isUidOnline', { uid });
  }

  getClientIdByUid(uid: string): Promise<string[]> {
    return this.request('getClientIdByUid', { uid });
  }

  getUidByClientId(clientId: string): Promise<string | null> {
    return this.request('getUidByClientId', { client_id: clientId });
  }

  getClientIdListByGroup(group: string): Promise<string[]> {
    return this.request('getClientIdListByGroup', { group });
  }

  getClientCountByGroup(group: string): Promise<number> {
    return this.request('getClientCountByGroup', { group });
  }

  getUidListByGroup(group: string): Promise<string[]> {
    return this.request('getUidListByGroup', { group });
  }

  getUidCountByGroup(group: string): Promise<number> {
    return this.request('getUidCountByGroup', { group });
  }

  getAllClientIdList(): Promise<string[]> {
    return this.request('getAllClientIdList');
  }

  getAllClientCount(): Promise<number> {
    return this.request('getAllClientCount');
  }

  getAllUidList(): Promise<string[]> {
    return this.request('getAllUidList');
  }

  getAllUidCount(): Promise<number> {
    return this.request('getAllUidCount');
  }

  getAllGroupIdList(): Promise<string[]> {
    return this.request('getAllGroupIdList');
  }

  getSession(clientId: string): Promise<Session | null> {
    return this.request('getSession', { client_id: clientId });
  }

  setSession(clientId: string, session: Session): Promise<boolean> {
    return this.request('setSession', { client_id: clientId, session });
  }

  updateSession(clientId: string, session: Session): Promise<boolean> {
    return this.request('updateSession', { client_id: clientId, session });
  }

  closeClient(clientId: string, message?: unknown): Promise<boolean> {
    return this.request('closeClient', { client_id: clientId, message });
  }
}

/** `uid: "a"` for one target, `uids: ["a", "b"]` for a list. */
function oneOrMany(
  field: string,
  value: string | readonly string[],
): Record<string, unknown> {
  return typeof value === 'string'
    ? { [field]: value }
    : { [`${field}s`]: value };
}
