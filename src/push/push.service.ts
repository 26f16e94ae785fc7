import { Injectable } from '@nestjs/common';
import { CloseCode } from '../common/protocol/close-code.js';
import { PushEvents } from '../events/push-events.service.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { PushgateEvent } from '../events/pushgate-events.js';
import type { Client, Session } from '../registry/client.js';
import { mergeSession } from '../registry/merge-session.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import type { GatewayApi, SendToAllOptions } from './gateway-api.js';

/**
 * The Gateway API in process (see `GatewayApi` for the semantics): what the text-port commands
 * do, and what an application that embeds Pushgate calls directly. Its methods return promises so
 * that the same API can span several nodes.
 */
@Injectable()
export class PushService implements GatewayApi {
  constructor(
    private readonly registry: UidRegistry,
    private readonly events: PushEvents,
    private readonly metrics: PushMetrics,
  ) {}

  async sendToUid(
    uids: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    return this.deliverToUids(uids, message);
  }

  /**
   * Many `sendToUid`s in one call, in order: what the batched text commands use, so that a run
   * of lines costs one promise, not one per line. Resolves to the count of each.
   */
  async sendToUidBatch(
    sends: ReadonlyArray<{
      uids: string | readonly string[];
      message: unknown;
    }>,
  ): Promise<number[]> {
    return sends.map(({ uids, message }) => this.deliverToUids(uids, message));
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
    return this.with(clientId, (client) => {
      const previous = client.uid;
      if (previous === uid) {
        return;
      }
      this.registry.bind(client, uid);
      if (previous !== undefined) {
        this.events.emit(PushgateEvent.Unbound, {
          client_id: clientId,
          uid: previous,
        });
      }
      this.events.emit(PushgateEvent.Bound, { client_id: clientId, uid });
    });
  }

  async unbindUid(clientId: string, uid: string): Promise<boolean> {
    const client = this.registry.get(clientId);
    if (client?.uid !== uid) {
      return false;
    }
    this.registry.unbind(client);
    this.events.emit(PushgateEvent.Unbound, { client_id: clientId, uid });
    return true;
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
    return this.registry.membersOf(group)?.size ?? 0;
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

  private deliverToUids(
    uids: string | readonly string[],
    message: unknown,
  ): number {
    if (typeof uids === 'string') {
      // The hot path: one uid, whose connections are a set already.
      return this.deliver(this.registry.clientsOf(uids), message);
    }
    return this.deliver(
      this.collect(uids, (uid) => this.registry.clientsOf(uid)),
      message,
    );
  }

  /** Writes one frame of `message` to every client but the excluded ones; returns how many. */
  private deliver(
    clients: Iterable<Client> | undefined,
    message: unknown,
    exclude: readonly string[] = [],
  ): number {
    const excluded = exclude.length > 0 ? new Set(exclude) : undefined;
    let count = 0;
    let frame: string | undefined;
    for (const client of clients ?? []) {
      if (excluded?.has(client.id)) {
        continue;
      }
      frame ??= typeof message === 'string' ? message : JSON.stringify(message);
      client.socket.push(frame);
      count++;
    }
    if (frame !== undefined) {
      this.metrics.messagesDelivered(count, Buffer.byteLength(frame));
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

  private clientsById(clientIds: readonly string[]): Set<Client> {
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
  private collect(
    keys: readonly string[],
    lookup: (key: string) => ReadonlySet<Client> | undefined,
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

function listOf(keys: string | readonly string[]): readonly string[] {
  return typeof keys === 'string' ? [keys] : keys;
}

function idsOf(clients: Iterable<Client> | undefined): string[] {
  return Array.from(clients ?? [], (client) => client.id);
}
