import type { Client } from './client.js';

/**
 * Hears of every change `UidRegistry` makes, right after it is made: how cluster mode mirrors the
 * connections of its node into Redis. Calls are synchronous; an observer must not throw.
 */
export interface RegistryObserver {
  added(client: Client): void;
  /** The client still carries the uid and groups it had. */
  removed(client: Client): void;
  /** Bound to `client.uid`; `previous` is the uid it was moved off, if any. */
  bound(client: Client, previous: string | undefined): void;
  unbound(client: Client, uid: string): void;
  joined(client: Client, group: string): void;
  left(client: Client, group: string): void;
  /** The group was dissolved; these were its members. */
  ungrouped(group: string, members: readonly Client[]): void;
}
