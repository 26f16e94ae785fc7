import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client, type ClientSocket } from './client.js';

/**
 * Which connections are open and which uid each is bound to: many connections per uid, at most
 * one uid per connection. Every operation is O(1); a removed connection leaves nothing behind.
 * Pure bookkeeping: it never writes to a socket.
 */
@Injectable()
export class UidRegistry {
  private readonly clients = new Map<string, Client>();
  private readonly uids = new Map<string, Set<Client>>();
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

  /** Forgets a connection and its binding. Safe to call more than once. */
  remove(client: Client): void {
    this.unbind(client);
    this.clients.delete(client.id);
  }

  /** Binds the connection to `uid`, moving it off the uid it was bound to before. */
  bind(client: Client, uid: string): void {
    if (client.uid === uid) {
      return;
    }
    this.unbind(client);
    let bound = this.uids.get(uid);
    if (bound === undefined) {
      bound = new Set();
      this.uids.set(uid, bound);
    }
    bound.add(client);
    client.uid = uid;
  }

  /** Unbinds the connection from its uid, if any; a uid with no connection left is dropped. */
  unbind(client: Client): void {
    const { uid } = client;
    if (uid === undefined) {
      return;
    }
    const bound = this.uids.get(uid);
    bound?.delete(client);
    if (bound?.size === 0) {
      this.uids.delete(uid);
    }
    client.uid = undefined;
  }

  /** The connections bound to `uid`, or `undefined` when there are none. */
  clientsOf(uid: string): ReadonlySet<Client> | undefined {
    return this.uids.get(uid);
  }

  get(clientId: string): Client | undefined {
    return this.clients.get(clientId);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get uidCount(): number {
    return this.uids.size;
  }
}
