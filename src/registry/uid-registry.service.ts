import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client, type ClientSocket } from './client.js';

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
  private readonly uids = new Map<string, Set<Client>>();
  private readonly groups = new Map<string, Set<Client>>();
  /** Random per process, so that an id a backend kept from before a restart matches nobody. */
  private readonly idPrefix = randomBytes(4).toString('hex');
  private sequence = 0;

  /** Registers a new connection under a fresh client id. */
  add(socket: ClientSocket): Client {
    const client = new Client(
      `${this.idPrefix}-${(++this.sequence).toString(36)}`,
      socket,
    );
    this.clients.set(client.id, client);
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
  }

  /** Binds the connection to `uid`, moving it off the uid it was bound to before. */
  bind(client: Client, uid: string): void {
    if (client.uid === uid || !this.clients.has(client.id)) {
      return;
    }
    this.unbind(client);
    addTo(this.uids, uid, client);
    client.uid = uid;
  }

  /** Unbinds the connection from its uid, if it has one. */
  unbind(client: Client): void {
    if (client.uid !== undefined) {
      deleteFrom(this.uids, client.uid, client);
      client.uid = undefined;
    }
  }

  join(client: Client, group: string): void {
    if (!this.clients.has(client.id)) {
      return;
    }
    addTo(this.groups, group, client);
    (client.groups ??= new Set()).add(group);
  }

  /** Takes the connection out of the group; false when it was not in it. */
  leave(client: Client, group: string): boolean {
    if (client.groups?.delete(group) !== true) {
      return false;
    }
    deleteFrom(this.groups, group, client);
    return true;
  }

  /** Dissolves the group; returns how many connections were in it. */
  ungroup(group: string): number {
    const members = this.groups.get(group);
    for (const client of members ?? []) {
      client.groups?.delete(group);
    }
    this.groups.delete(group);
    return members?.size ?? 0;
  }

  get(clientId: string): Client | undefined {
    return this.clients.get(clientId);
  }

  /** The connections bound to `uid`, or `undefined` when there are none. */
  clientsOf(uid: string): ReadonlySet<Client> | undefined {
    return this.uids.get(uid);
  }

  /** The connections in `group`, or `undefined` when there are none. */
  membersOf(group: string): ReadonlySet<Client> | undefined {
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

function addTo(index: Map<string, Set<Client>>, key: string, client: Client) {
  let entry = index.get(key);
  if (entry === undefined) {
    entry = new Set();
    index.set(key, entry);
  }
  entry.add(client);
}

/** Removes the client from the key's set, and the key once its set is empty. */
function deleteFrom(
  index: Map<string, Set<Client>>,
  key: string,
  client: Client,
) {
  const entry = index.get(key);
  entry?.delete(client);
  if (entry?.size === 0) {
    index.delete(key);
  }
}
