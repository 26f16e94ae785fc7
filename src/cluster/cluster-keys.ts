/**
 * The names of everything cluster mode keeps in Redis, under one prefix (`PUSH_REDIS_PREFIX`).
 * docs/cluster.md describes each key and channel; this class is the only place that spells them.
 *
 * A node's own keys carry its id as a hash tag (`{node}`), so that on Redis Cluster they share a
 * slot and a script can change them together.
 */
export class ClusterKeys {
  /** ZSET: node id → the Redis time (ms) until which the node counts as alive. */
  readonly nodes: string;
  /** Channel every node listens to: `sendToAll`. */
  readonly allChannel: string;
  private readonly uidChannelPrefix: string;
  private readonly groupChannelPrefix: string;

  constructor(private readonly prefix: string) {
    this.nodes = `${prefix}:nodes`;
    this.allChannel = `${prefix}:to:all`;
    this.uidChannelPrefix = `${prefix}:to:uid:`;
    this.groupChannelPrefix = `${prefix}:to:group:`;
  }

  /** HASH: client id → its record (`{"uid":...,"groups":[...]}`), one field per connection of the node. */
  nodeClients(node: string): string {
    return `${this.prefix}:node:{${node}}:clients`;
  }

  /** SET: the uids with a connection on the node. */
  nodeUids(node: string): string {
    return `${this.prefix}:node:{${node}}:uids`;
  }

  /** SET: the groups with a member on the node. */
  nodeGroups(node: string): string {
    return `${this.prefix}:node:{${node}}:groups`;
  }

  /** STRING: the random token of the process that holds the node id now. */
  nodeOwner(node: string): string {
    return `${this.prefix}:node:{${node}}:owner`;
  }

  /** SET: the client ids bound to the uid, on every node. */
  uid(uid: string): string {
    return `${this.prefix}:uid:${uid}`;
  }

  /** SET: the client ids in the group, on every node. */
  group(group: string): string {
    return `${this.prefix}:group:${group}`;
  }

  /** The prefix of `uid()` and `group()`, for the scripts that clean up after a node. */
  get indexPrefix(): string {
    return `${this.prefix}:`;
  }

  /**
   * HASH: a uid's history: `last` (the newest position given out), `floor` (positions up to it are
   * no longer kept), `taken` (pushes after it were received by nobody yet: pending), `bytes` (what
   * it counts for in `historyBytes`).
   */
  history(uid: string): string {
    return `${this.historyPrefix}${uid}`;
  }

  /** LIST: a uid's kept pushes, oldest first (see `history-scripts.ts` for an entry's form). */
  historyLog(uid: string): string {
    return `${this.historyLogPrefix}${uid}`;
  }

  /** The prefixes of `history()` and `historyLog()`, for the scripts that reach other uids' logs. */
  get historyPrefix(): string {
    return `${this.prefix}:history:`;
  }

  get historyLogPrefix(): string {
    return `${this.prefix}:history-log:`;
  }

  /** ZSET: uid → the Redis time (ms) after which its history may go: a TTL after its last push or follower. */
  get historyQueue(): string {
    return `${this.prefix}:history-queue`;
  }

  /** STRING: the bytes all histories count for, against `PUSH_BUFFER_MAX_BYTES`. */
  get historyBytes(): string {
    return `${this.prefix}:history-bytes`;
  }

  /** Channel of the nodes holding a connection of the uid. */
  uidChannel(uid: string): string {
    return this.uidChannelPrefix + uid;
  }

  /** Channel of the nodes holding a member of the group. */
  groupChannel(group: string): string {
    return this.groupChannelPrefix + group;
  }

  /** Channel of one node: messages for its connections, calls to it, replies to its calls. */
  nodeChannel(node: string): string {
    return `${this.prefix}:to:node:${node}`;
  }

  /** The uid a uid channel is for, or undefined for any other channel. */
  uidOfChannel(channel: string): string | undefined {
    return channel.startsWith(this.uidChannelPrefix)
      ? channel.slice(this.uidChannelPrefix.length)
      : undefined;
  }

  /** The group a group channel is for, or undefined for any other channel. */
  groupOfChannel(channel: string): string | undefined {
    return channel.startsWith(this.groupChannelPrefix)
      ? channel.slice(this.groupChannelPrefix.length)
      : undefined;
  }
}
