import type { Client } from '../registry/client.js';
import type { RegistryObserver } from '../registry/registry-observer.js';
import { sizeOf, type UidRegistry } from '../registry/uid-registry.service.js';
import type { ChannelSubscriptions } from './channel-subscriptions.js';
import type { ClusterKeys } from './cluster-keys.js';
import { TurnBatch } from './turn-batch.js';

/** One Redis command, as a pipeline takes it. */
export type Command = [name: string, ...args: string[]];

/** What the clients hash holds per connection; the scripts that clean up after a node read it. */
export interface ClientRecord {
  uid?: string;
  groups?: string[];
}

/** Fields per HSET and members per SADD when the whole presence is written at once. */
const PER_COMMAND = 1000;

/**
 * Mirrors this node's connections into Redis: hears every change of the registry and writes it
 * (the clients hash, the uid and group indexes, the node's uid and group sets), and keeps this
 * node listening on the channel of each uid and group it holds. The writes of one event-loop turn
 * go out as one pipeline. While the link is down nothing is written, only the channels to listen
 * to are kept track of; once it is up, `resume` gives the whole presence to write again.
 */
export class PresenceWriter implements RegistryObserver {
  private pending: Command[] = [];
  private readonly batch = new TurnBatch(() => this.sendPending());
  private active = false;

  constructor(
    private readonly node: string,
    private readonly keys: ClusterKeys,
    private readonly registry: UidRegistry,
    private readonly subscriptions: ChannelSubscriptions,
    private readonly send: (commands: Command[]) => Promise<unknown>,
  ) {}

  added(client: Client): void {
    this.write(['hset', this.keys.nodeClients(this.node), client.id, '{}']);
  }

  removed(client: Client): void {
    this.write(['hdel', this.keys.nodeClients(this.node), client.id]);
    if (client.uid !== undefined) {
      this.leftUid(client, client.uid);
    }
    for (const group of client.groups ?? []) {
      this.leftGroup(client, group);
    }
  }

  bound(client: Client, previous: string | undefined): void {
    if (previous !== undefined) {
      this.leftUid(client, previous);
    }
    const uid = client.uid!;
    this.write(['sadd', this.keys.uid(uid), client.id]);
    if (sizeOf(this.registry.clientsOf(uid)) === 1) {
      this.write(['sadd', this.keys.nodeUids(this.node), uid]);
      this.subscriptions.want(this.keys.uidChannel(uid));
    }
    this.writeRecord(client);
  }

  unbound(client: Client, uid: string): void {
    this.leftUid(client, uid);
    this.writeRecord(client);
  }

  joined(client: Client, group: string): void {
    this.write(['sadd', this.keys.group(group), client.id]);
    if (sizeOf(this.registry.membersOf(group)) === 1) {
      this.write(['sadd', this.keys.nodeGroups(this.node), group]);
      this.subscriptions.want(this.keys.groupChannel(group));
    }
    this.writeRecord(client);
  }

  left(client: Client, group: string): void {
    this.leftGroup(client, group);
    this.writeRecord(client);
  }

  ungrouped(group: string, members: readonly Client[]): void {
    for (const client of members) {
      this.write(['srem', this.keys.group(group), client.id]);
      this.writeRecord(client);
    }
    this.groupGone(group);
  }

  /** Settles once the changes made so far are in Redis, or could not be written. Never rejects. */
  settled(): Promise<void> {
    return this.batch.done();
  }

  /** The link is down: write nothing from now on (`resume` rewrites everything). */
  pause(): void {
    this.active = false;
    this.pending = [];
    this.batch.cancel();
  }

  /**
   * The link is up again and this node's old entries are gone: returns the commands that write
   * its whole presence, to be sent before anything else; changes after this call follow them.
   */
  resume(): Command[] {
    this.pause();
    this.active = true;
    return this.snapshot();
  }

  private snapshot(): Command[] {
    const commands: Command[] = [];
    const records: string[] = [];
    for (const client of this.registry.allClients()) {
      records.push(client.id, JSON.stringify(recordOf(client)));
    }
    for (const chunk of chunks(records, 2 * PER_COMMAND)) {
      commands.push(['hset', this.keys.nodeClients(this.node), ...chunk]);
    }
    const uids = [...this.registry.allUids()];
    for (const uid of uids) {
      const ids = Array.from(this.registry.clientsOf(uid) ?? [], idOf);
      for (const chunk of chunks(ids, PER_COMMAND)) {
        commands.push(['sadd', this.keys.uid(uid), ...chunk]);
      }
    }
    for (const chunk of chunks(uids, PER_COMMAND)) {
      commands.push(['sadd', this.keys.nodeUids(this.node), ...chunk]);
    }
    const groups = [...this.registry.allGroups()];
    for (const group of groups) {
      const ids = Array.from(this.registry.membersOf(group) ?? [], idOf);
      for (const chunk of chunks(ids, PER_COMMAND)) {
        commands.push(['sadd', this.keys.group(group), ...chunk]);
      }
    }
    for (const chunk of chunks(groups, PER_COMMAND)) {
      commands.push(['sadd', this.keys.nodeGroups(this.node), ...chunk]);
    }
    return commands;
  }

  private leftUid(client: Client, uid: string): void {
    this.write(['srem', this.keys.uid(uid), client.id]);
    if (this.registry.clientsOf(uid) === undefined) {
      this.write(['srem', this.keys.nodeUids(this.node), uid]);
      this.subscriptions.drop(this.keys.uidChannel(uid));
    }
  }

  private leftGroup(client: Client, group: string): void {
    this.write(['srem', this.keys.group(group), client.id]);
    if (this.registry.membersOf(group) === undefined) {
      this.groupGone(group);
    }
  }

  private groupGone(group: string): void {
    this.write(['srem', this.keys.nodeGroups(this.node), group]);
    this.subscriptions.drop(this.keys.groupChannel(group));
  }

  /** The connection's record, unless it has left: its removal is written already. */
  private writeRecord(client: Client): void {
    if (this.registry.get(client.id) === client) {
      this.write([
        'hset',
        this.keys.nodeClients(this.node),
        client.id,
        JSON.stringify(recordOf(client)),
      ]);
    }
  }

  private write(command: Command): void {
    if (this.active) {
      this.pending.push(command);
      this.batch.schedule();
    }
  }

  private sendPending(): Promise<unknown> {
    const commands = this.pending;
    this.pending = [];
    return this.send(commands);
  }
}

function recordOf(client: Client): ClientRecord {
  const record: ClientRecord = {};
  if (client.uid !== undefined) {
    record.uid = client.uid;
  }
  if (client.groups !== undefined && client.groups.size > 0) {
    record.groups = [...client.groups];
  }
  return record;
}

function idOf(client: Client): string {
  return client.id;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    result.push(items.slice(i, i + size));
  }
  return result;
}
