import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client, type ClientSocket } from './client.js';
import type { RegistryObserver } from './registry-observer.js';

/**
 * The connections of one uid or group. Most uids have one or two: a small entry is an array of
 * them, about 60 bytes where a Set would take 200; past `MAX_LISTED` it becomes a Set, which keeps
 * every change O(1). Arrays are replaced, never changed, so that a caller iterating one (a push
 * that closes a slow client, say) sees it whole.
 */
export type ClientList = readonly Client[] | ReadonlySet<Client>;

const MAX_LISTED = 8;

type Entry = readonly Client[] | Set<Client>;

/** How many connections a list holds; 0 for none. */
export function sizeOf(list: ClientList | undefined): number {
  return list === undefined
    ? 0
    : list instanceof Set
      ? list.size
      : (list as readonly Client[]).length;
}

/**
 * Which connections are open, which uid each is bound to and which groups each has joined: many
 * connections per uid and per group, at most one uid per connection. Every change is O(1) (a
 * removed connection costs one step per group it was in) and leaves nothing behind; a uid or a
 * group exists exactly as long as it has a connection. Pure bookkeeping: it never writes to a
 * socket.
 */
@Injectable()
export class UidRegistry {
  private readonly clients = new Map<string, Client>();
  private readonly uids = new Map<string, Entry>();
  private readonly groups = new Map<string, Entry>();
  /** Random per process, so that an id a backend kept from before a restart matches nobody. */
  private idPrefix = randomBytes(4).toString('hex');
  private sequence = 0;
  private observer: RegistryObserver | undefined;

  /**
   * Cluster mode: client ids begin with the node's id and a dot (`<node>.<random>-<n>`), so that
   * any node can tell where a connection is, and `observer` hears of every change. Call it before
   * the first connection.
   */
  attach(nodeId: string, observer: RegistryObserver): void {
    if (this.clients.size > 0) {
      throw new Error('attach the registry before the first connection');
    }
    this.idPrefix = `${nodeId}.${this.idPrefix}`;
    this.observer = observer;
  }

  /** Registers a new connection under a fresh client id. */
  add(socket: ClientSocket): Client {
    const client = new Client(
      `${this.idPrefix}-${(++this.sequence).toString(36)}`,
      socket,
    );
    this.clients.set(client.id, client);
    this.observer?.added(client);
    return client;
  }

  /**
   * Forgets a connection: it is no longer found by id, uid or group. The `Client` itself keeps its
   * uid, groups and session, which still describe the connection that left. Safe to repeat.
   */
  remove(client: Client): void {
    if (!this.clients.delete(client.id)) {
      return;
    }
    if (client.uid !== undefined) {
      deleteFrom(this.uids, client.uid, client);
    }
    for (const group of client.groups ?? []) {
      deleteFrom(this.groups, group, client);
    }
    this.observer?.removed(client);
  }

  /** Binds the connection to `uid`, moving it off the uid it was bound to before. */
  bind(client: Client, uid: string): void {
    if (client.uid === uid || !this.clients.has(client.id)) {
      return;
    }
    const previous = client.uid;
    if (previous !== undefined) {
      deleteFrom(this.uids, previous, client);
    }
    addTo(this.uids, uid, client);
    client.uid = uid;
    this.observer?.bound(client, previous);
  }

  /** Unbinds the connection from its uid, if it has one. */
  unbind(client: Client): void {
    const uid = client.uid;
    if (uid !== undefined) {
      deleteFrom(this.uids, uid, client);
      client.uid = undefined;
      this.observer?.unbound(client, uid);
    }
  }

  join(client: Client, group: string): void {
    if (!this.clients.has(client.id) || client.groups?.has(group) === true) {
      return;
    }
    addTo(this.groups, group, client);
    (client.groups ??= new Set()).add(group);
    this.observer?.joined(client, group);
  }

  /** Takes the connection out of the group; false when it was not in it. */
  leave(client: Client, group: string): boolean {
    if (client.groups?.delete(group) !== true) {
      return false;
    }
    deleteFrom(this.groups, group, client);
    this.observer?.left(client, group);
    return true;
  }

  /** Dissolves the group; returns how many connections were in it. */
  ungroup(group: string): number {
    const members = this.groups.get(group);
    if (members === undefined) {
      return 0;
    }
    for (const client of members) {
      client.groups?.delete(group);
    }
    this.groups.delete(group);
    this.observer?.ungrouped(group, [...members]);
    return sizeOf(members);
  }

  get(clientId: string): Client | undefined {
    return this.clients.get(clientId);
  }

  /** The connections bound to `uid`, or `undefined` when there are none. */
  clientsOf(uid: string): ClientList | undefined {
    return this.uids.get(uid);
  }

  /** The connections in `group`, or `undefined` when there are none. */
  membersOf(group: string): ClientList | undefined {
    return this.groups.get(group);
  }

  allClients(): IterableIterator<Client> {
    return this.clients.values();
  }

  allUids(): IterableIterator<string> {
    return this.uids.keys();
  }

  allGroups(): IterableIterator<string> {
    return this.groups.keys();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get uidCount(): number {
    return this.uids.size;
  }
}

function addTo(index: Map<string, Entry>, key: string, client: Client) {
  const entry = index.get(key);
  if (entry === undefined) {
    index.set(key, [client]);
  } else if (entry instanceof Set) {
    entry.add(client);
  } else if (entry.length < MAX_LISTED) {
    index.set(key, [...entry, client]);
  } else {
    index.set(key, new Set(entry).add(client));
  }
}

/** Removes the client from the key's list, and the key once its list is empty. */
function deleteFrom(index: Map<string, Entry>, key: string, client: Client) {
  const entry = index.get(key);
  if (entry === undefined) {
    return;
  }
  if (entry instanceof Set) {
    entry.delete(client);
    if (entry.size === 0) {
      index.delete(key);
    }
    return;
  }
  const rest = entry.filter((other) => other !== client);
  if (rest.length === 0) {
    index.delete(key);
  } else if (rest.length < entry.length) {
    index.set(key, rest);
  }
}
