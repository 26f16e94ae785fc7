import { Injectable } from '@nestjs/common';
import { Buffer } from 'node:buffer';
import { CloseCode } from '../common/protocol/close-code.js';
import { writeRun } from '../common/write-batch.js';
import { PushEvents } from '../events/push-events.service.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { PushgateEvent } from '../events/pushgate-events.js';
import { AckTracker } from '../history/ack-tracker.service.js';
import { envelope, type Frame, frameOf } from '../history/frame.js';
import {
  type Backlog,
  type Owed,
  UidHistory,
} from '../history/uid-history.service.js';
import type { Client, Session } from '../registry/client.js';
import { mergeSession } from '../registry/merge-session.js';
import { sizeOf, UidRegistry } from '../registry/uid-registry.service.js';
import type {
  GatewayApi,
  SendToAllOptions,
  SendToUidOptions,
} from './gateway-api.js';
import { Receipt, sendResult } from './receipt.js';

/** A send to uids, as the batched text commands give it. */
export interface UidSend extends SendToUidOptions {
  uids: string | readonly string[];
  message: unknown;
}

/** What a send to uids gave (see `sendToUidBatch`). */
export type SendResult = number | Receipt | Promise<Receipt>;

/** How a connection binds a uid from `init`: following positions or not, from where. */
export interface Recovery {
  recover: boolean;
  since?: number;
}

/**
 * The Gateway API in process (see `GatewayApi` for the semantics): what the text-port commands
 * do, and what an application that embeds Pushgate calls directly. Its methods return promises so
 * that the same API can span several nodes: in cluster mode `ClusterPushService` (a subclass, see
 * src/cluster/) takes its place.
 */
@Injectable()
export class PushService implements GatewayApi {
  constructor(
    protected readonly registry: UidRegistry,
    private readonly events: PushEvents,
    private readonly metrics: PushMetrics,
    private readonly history: UidHistory,
    protected readonly acks: AckTracker,
  ) {}

  async sendToUid(
    uids: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    const sent = await this.toUids(uids, frameOf(message), {});
    return typeof sent === 'number' ? sent : sent.connections;
  }

  async sendToUidWithReceipt(
    uids: string | readonly string[],
    message: unknown,
    options: SendToUidOptions = {},
  ): Promise<Receipt> {
    const sent = await this.toUids(uids, frameOf(message), options);
    return typeof sent === 'number' ? new Receipt(sent, 0) : sent;
  }

  /**
   * Many sends to uids in one call, in order: what the batched text commands use, so that a run
   * of lines costs one promise, not one per line. Resolves to the count of each, or its receipt
   * when it was kept for a uid; a send that waits for acknowledgements gives a promise of its
   * receipt, so that the others are answered without waiting for it.
   */
  async sendToUidBatch(sends: readonly UidSend[]): Promise<SendResult[]> {
    // Each send is its own options: a rest copy of them would cost an object per push.
    return writeRun(sends.length, () =>
      sends.map((send) => this.toUids(send.uids, frameOf(send.message), send)),
    );
  }

  async sendToClient(
    clientIds: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    return this.deliver(this.clientsById(listOf(clientIds)), message);
  }

  async sendToGroup(
    groups: string | readonly string[],
    message: unknown,
    exclude: readonly string[] = [],
  ): Promise<number> {
    const members = this.collect(listOf(groups), (group) =>
      this.registry.membersOf(group),
    );
    return this.deliver(members, message, exclude);
  }

  async sendToAll(
    message: unknown,
    { clientIds, exclude = [] }: SendToAllOptions = {},
  ): Promise<number> {
    const targets =
      clientIds === undefined
        ? this.registry.allClients()
        : this.clientsById(clientIds);
    return this.deliver(targets, message, exclude);
  }

  async bindUid(clientId: string, uid: string): Promise<boolean> {
    const backlog = await this.bindClient(clientId, uid);
    if (backlog !== undefined) {
      this.writeBacklog(this.registry.get(clientId)!, backlog);
    }
    return backlog !== undefined;
  }

  /**
   * Binds a connection to `uid`, as `bindUid`, and returns what it is owed (pending pushes, and
   * with `recovery` what it missed) for the caller to write with `writeBacklog` once it has
   * answered. `recovery` (from `init`) sets whether the connection follows positions; without
   * it, the connection keeps its mode. Undefined for an unknown client.
   */
  async bindClient(
    clientId: string,
    uid: string,
    recovery?: Recovery,
  ): Promise<Backlog | undefined> {
    const client = this.registry.get(clientId);
    if (client === undefined) {
      return undefined;
    }
    const left = this.rebind(client, uid, recovery);
    // Followed first, then unfollowed: re-binding the same uid must not let its history go.
    const backlog = this.history.bind(uid, {
      recover: client.recovers,
      since: recovery?.since,
    });
    if (left !== undefined) {
      this.history.unfollow(left);
    }
    return backlog;
  }

  /**
   * Binds a client to `uid` in the registry and announces it; `recovery` sets whether it follows
   * positions. Returns the uid it followed before, which it no longer does once its new uid is
   * followed.
   */
  protected rebind(
    client: Client,
    uid: string,
    recovery: Recovery | undefined,
  ): string | undefined {
    const { uid: previous, recovers: followed } = client;
    if (recovery !== undefined) {
      client.recovers = recovery.recover;
    }
    if (previous !== uid) {
      this.registry.bind(client, uid);
      if (previous !== undefined) {
        this.events.emit(PushgateEvent.Unbound, {
          client_id: client.id,
          uid: previous,
        });
      }
      this.events.emit(PushgateEvent.Bound, { client_id: client.id, uid });
    }
    return followed ? previous : undefined;
  }

  /**
   * Writes a connection's backlog: each push as it would have reached it live. A push that waits
   * for acknowledgements reports where it went: a pending one settles its wait (this is the
   * connection it was kept for), one recovered later adds the connection to it.
   */
  writeBacklog(client: Client, { pushes }: Backlog): void {
    if (pushes.length === 0) {
      return;
    }
    client.socket.pushBacklog(
      pushes.map(({ frame, position, ack }) =>
        client.recovers ? envelope(frame, position, ack) : frame.text,
      ),
    );
    for (const push of pushes) {
      this.metrics.messagesDelivered(1, Buffer.byteLength(push.frame.text));
      if (push.ack) {
        this.reportBacklogAck(client, push);
      }
    }
  }

  /** Where a backlog push that waits for acknowledgements went (see `writeBacklog`). */
  protected reportBacklogAck(client: Client, push: Owed): void {
    this.acks.report(
      client.uid!,
      push.position,
      client.recovers ? [client.id] : [],
      push.pending,
    );
  }

  async unbindUid(clientId: string, uid: string): Promise<boolean> {
    const client = this.registry.get(clientId);
    if (client?.uid !== uid) {
      return false;
    }
    this.registry.unbind(client);
    this.forget(client, uid);
    this.events.emit(PushgateEvent.Unbound, { client_id: clientId, uid });
    return true;
  }

  /** A connection left `uid` (unbound, or closed): it no longer follows its positions. */
  forget(client: Client, uid: string): void {
    if (client.recovers) {
      this.history.unfollow(uid);
    }
  }

  /** A browser acknowledged the push to its uid at `position`. */
  acknowledge(client: Client, position: number): void {
    if (client.uid !== undefined) {
      this.acks.ack(client.uid, position, client.id);
    }
  }

  async joinGroup(clientId: string, group: string): Promise<boolean> {
    return this.with(clientId, (client) => {
      if (client.groups?.has(group) !== true) {
        this.registry.join(client, group);
        this.events.emit(PushgateEvent.Joined, { client_id: clientId, group });
      }
    });
  }

  async leaveGroup(clientId: string, group: string): Promise<boolean> {
    const client = this.registry.get(clientId);
    if (client === undefined || !this.registry.leave(client, group)) {
      return false;
    }
    this.events.emit(PushgateEvent.Left, { client_id: clientId, group });
    return true;
  }

  async ungroup(group: string): Promise<number> {
    const members = idsOf(this.registry.membersOf(group));
    this.registry.ungroup(group);
    for (const id of members) {
      this.events.emit(PushgateEvent.Left, { client_id: id, group });
    }
    return members.length;
  }

  async isOnline(clientId: string): Promise<boolean> {
    return this.registry.get(clientId) !== undefined;
  }

  async isUidOnline(uid: string): Promise<boolean> {
    return this.registry.clientsOf(uid) !== undefined;
  }

  async getClientIdByUid(uid: string): Promise<string[]> {
    return idsOf(this.registry.clientsOf(uid));
  }

  async getUidByClientId(clientId: string): Promise<string | null> {
    return this.registry.get(clientId)?.uid ?? null;
  }

  async getClientIdListByGroup(group: string): Promise<string[]> {
    return idsOf(this.registry.membersOf(group));
  }

  async getClientCountByGroup(group: string): Promise<number> {
    return sizeOf(this.registry.membersOf(group));
  }

  async getUidListByGroup(group: string): Promise<string[]> {
    return [...this.uidsOf(group)];
  }

  async getUidCountByGroup(group: string): Promise<number> {
    return this.uidsOf(group).size;
  }

  async getAllClientIdList(): Promise<string[]> {
    return idsOf(this.registry.allClients());
  }

  async getAllClientCount(): Promise<number> {
    return this.registry.clientCount;
  }

  async getAllUidList(): Promise<string[]> {
    return [...this.registry.allUids()];
  }

  async getAllUidCount(): Promise<number> {
    return this.registry.uidCount;
  }

  async getAllGroupIdList(): Promise<string[]> {
    return [...this.registry.allGroups()];
  }

  async getSession(clientId: string): Promise<Session | null> {
    const client = this.registry.get(clientId);
    return client === undefined ? null : (client.session ?? {});
  }

  async setSession(clientId: string, session: Session): Promise<boolean> {
    return this.with(clientId, (client) => (client.session = session));
  }

  async updateSession(clientId: string, session: Session): Promise<boolean> {
    return this.with(
      clientId,
      (client) =>
        (client.session = mergeSession(client.session ?? {}, session)),
    );
  }

  async closeClient(clientId: string, message?: unknown): Promise<boolean> {
    return this.with(clientId, (client) => {
      if (message !== undefined) {
        this.deliver([client], message);
      }
      client.socket.close(CloseCode.Normal, 'closed by the server');
    });
  }

  /**
   * Sends to each uid: written to its connections, and kept when it has none (or when a
   * recovering connection follows it). The count of connections reached; a `Receipt` when it was
   * kept for a uid; a promise of one when it waits for acknowledgements.
   */
  protected toUids(
    uids: string | readonly string[],
    frame: Frame,
    { ack = false, ackTimeoutMs }: SendToUidOptions,
  ): SendResult {
    if (typeof uids === 'string' && !ack) {
      const clients = this.registry.clientsOf(uids);
      if (clients !== undefined && !this.history.tracks(uids)) {
        return this.write(clients, frame); // the hot path
      }
    }
    let connections = 0;
    let buffered = 0;
    const waits: Array<Promise<number>> = [];
    for (const uid of typeof uids === 'string' ? [uids] : new Set(uids)) {
      const clients = this.registry.clientsOf(uid);
      const position =
        clients === undefined
          ? this.history.keep(uid, frame, true, ack)
          : this.history.pass(uid, frame, ack);
      if (clients !== undefined) {
        connections += this.write(clients, frame, position, ack);
      } else if (position !== undefined) {
        buffered++;
      }
      if (ack && position !== undefined) {
        // Live, each recovering connection can acknowledge; kept, the first to bind the uid.
        const expected = clients === undefined ? [] : recoveringIds(clients);
        const reportsDue = clients === undefined ? 1 : 0;
        waits.push(
          this.acks.wait(uid, position, expected, reportsDue, ackTimeoutMs),
        );
      }
    }
    return sendResult(connections, buffered, ack ? waits : undefined);
  }

  /** Writes one frame of `message` to every client but the excluded ones; returns how many. */
  private deliver(
    clients: Iterable<Client> | undefined,
    message: unknown,
    exclude: readonly string[] = [],
  ): number {
    if (clients === undefined) {
      return 0;
    }
    if (exclude.length > 0) {
      const excluded = new Set(exclude);
      clients = [...clients].filter((client) => !excluded.has(client.id));
    }
    return this.write(clients, frameOf(message));
  }

  /**
   * Writes a frame to each client: as it is, or in its envelope to a recovering connection, with
   * the push's position on its uid when it has one. Returns how many.
   */
  protected write(
    clients: Iterable<Client>,
    frame: Frame,
    position?: number,
    ack = false,
  ): number {
    let count = 0;
    let wrapped: string | undefined;
    for (const client of clients) {
      if (client.recovers) {
        wrapped ??= envelope(frame, position, ack);
        client.socket.push(wrapped);
      } else {
        client.socket.push(frame.text);
      }
      count++;
    }
    if (count > 0) {
      this.metrics.messagesDelivered(count, Buffer.byteLength(frame.text));
    }
    return count;
  }

  private with(clientId: string, change: (client: Client) => unknown): boolean {
    const client = this.registry.get(clientId);
    if (client !== undefined) {
      change(client);
    }
    return client !== undefined;
  }

  protected clientsById(clientIds: readonly string[]): Set<Client> {
    const clients = new Set<Client>();
    for (const id of clientIds) {
      const client = this.registry.get(id);
      if (client !== undefined) {
        clients.add(client);
      }
    }
    return clients;
  }

  /** The union of the connections found under each key: a connection appears once. */
  protected collect(
    keys: readonly string[],
    lookup: (key: string) => Iterable<Client> | undefined,
  ): Set<Client> {
    const clients = new Set<Client>();
    for (const key of keys) {
      for (const client of lookup(key) ?? []) {
        clients.add(client);
      }
    }
    return clients;
  }

  private uidsOf(group: string): Set<string> {
    const uids = new Set<string>();
    for (const { uid } of this.registry.membersOf(group) ?? []) {
      if (uid !== undefined) {
        uids.add(uid);
      }
    }
    return uids;
  }
}

/** The ids of the clients that follow positions. */
export function recoveringIds(clients: Iterable<Client>): string[] {
  const ids: string[] = [];
  for (const client of clients) {
    if (client.recovers) {
      ids.push(client.id);
    }
  }
  return ids;
}

function listOf(keys: string | readonly string[]): readonly string[] {
  return typeof keys === 'string' ? [keys] : keys;
}

function idsOf(clients: Iterable<Client> | undefined): string[] {
  return Array.from(clients ?? [], (client) => client.id);
}
