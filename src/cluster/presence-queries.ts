import type { ChainableCommander } from 'ioredis';
import type { ClusterKeys } from './cluster-keys.js';
import { groupByNode, nodeOfClientId } from './node-id.js';
import type { ClientRecord } from './presence-writer.js';
import type { RedisLink } from './redis-link.js';

/**
 * Reads what the other nodes hold from the presence in Redis, counting only nodes alive now (by
 * Redis's clock, read in the same round trip). This node's own connections are never read back:
 * its registry is the truth about them, so callers add them from there.
 */
export class PresenceQueries {
  constructor(
    private readonly node: string,
    private readonly keys: ClusterKeys,
    private readonly link: RedisLink,
  ) {}

  /** The record of a connection on another node, if that node is alive and has it. */
  async record(
    clientId: string,
    node: string,
  ): Promise<ClientRecord | undefined> {
    const [live, record] = await this.link.run((p) => {
      p.liveNodes(this.keys.nodes);
      p.hget(this.keys.nodeClients(node), clientId);
    });
    return (live as string[]).includes(node) && typeof record === 'string'
      ? parseRecord(record)
      : undefined;
  }

  /** The members of an index set (`keys.uid(...)` or `keys.group(...)`) held by other live nodes. */
  async remoteMembers(indexKey: string): Promise<string[]> {
    const [live, members] = await this.link.run((p) => {
      p.liveNodes(this.keys.nodes);
      p.smembers(indexKey);
    });
    const alive = new Set(live as string[]);
    return (members as string[]).filter((id) => {
      const node = nodeOfClientId(id);
      return node !== undefined && node !== this.node && alive.has(node);
    });
  }

  /** The uids the given connections of other nodes are bound to. */
  async uidsOf(clientIds: readonly string[]): Promise<Set<string>> {
    const byNode = groupByNode(clientIds);
    const uids = new Set<string>();
    if (byNode.size === 0) {
      return uids;
    }
    const records = await this.link.run((p) => {
      for (const [node, ids] of byNode) {
        p.hmget(this.keys.nodeClients(node), ...ids);
      }
    });
    for (const record of (records as Array<Array<string | null>>).flat()) {
      const uid = record === null ? undefined : parseRecord(record).uid;
      if (uid !== undefined) {
        uids.add(uid);
      }
    }
    return uids;
  }

  /** Every connection of the other live nodes. */
  async allClientIds(): Promise<string[]> {
    const lists = await this.fromOtherNodes((p, node) =>
      p.hkeys(this.keys.nodeClients(node)),
    );
    return (lists as string[][]).flat();
  }

  /** How many connections the other live nodes hold. */
  async allClientCount(): Promise<number> {
    const counts = await this.fromOtherNodes((p, node) =>
      p.hlen(this.keys.nodeClients(node)),
    );
    return (counts as number[]).reduce((sum, n) => sum + n, 0);
  }

  /** The uids with a connection on another live node. */
  async allUids(): Promise<Set<string>> {
    const lists = await this.fromOtherNodes((p, node) =>
      p.smembers(this.keys.nodeUids(node)),
    );
    return new Set((lists as string[][]).flat());
  }

  /** The groups with a member on another live node. */
  async allGroups(): Promise<Set<string>> {
    const lists = await this.fromOtherNodes((p, node) =>
      p.smembers(this.keys.nodeGroups(node)),
    );
    return new Set((lists as string[][]).flat());
  }

  /** The ids of the live nodes other than this one. */
  async otherLiveNodes(): Promise<string[]> {
    const [live] = await this.link.run((p) => p.liveNodes(this.keys.nodes));
    return (live as string[]).filter((node) => node !== this.node);
  }

  /** One read per other live node: two round trips, whatever the number of nodes. */
  private async fromOtherNodes(
    read: (pipeline: ChainableCommander, node: string) => void,
  ): Promise<unknown[]> {
    const nodes = await this.otherLiveNodes();
    if (nodes.length === 0) {
      return [];
    }
    return this.link.run((p) => nodes.forEach((node) => read(p, node)));
  }
}

/** A record as the clients hash holds it; anything unreadable counts as an unbound connection. */
export function parseRecord(text: string): ClientRecord {
  try {
    const record = JSON.parse(text) as ClientRecord;
    return typeof record === 'object' && record !== null ? record : {};
  } catch {
    return {};
  }
}
