import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { ClusterKeys } from './cluster-keys.js';
import type { RedisLink } from './redis-link.js';

/**
 * Which nodes are alive, by deadlines in Redis: this node renews its own every third of
 * `PUSH_NODE_TTL_MS`, and removes any node past its deadline together with everything it held
 * (a node killed with SIGKILL cannot clean up after itself). Deadlines are in Redis's time, so the
 * nodes' clocks need not agree. A random token tells this process from another one started with
 * the same node id.
 */
export class NodeLiveness {
  private readonly token = randomBytes(8).toString('hex');
  private dead: ReadonlySet<string> = new Set();
  private readonly logger = new Logger('Cluster');

  constructor(
    private readonly node: string,
    private readonly ttlMs: number,
    private readonly keys: ClusterKeys,
    private readonly link: RedisLink,
  ) {}

  /** Milliseconds between two renewals. */
  get intervalMs(): number {
    return Math.floor(this.ttlMs / 3);
  }

  /** Whether `node` was past its deadline at the last renewal (a cheap check, for counting). */
  isDead(node: string): boolean {
    return this.dead.has(node);
  }

  /**
   * Takes the node id and clears what an earlier holder left; false while another live process
   * holds it.
   */
  async claim(): Promise<boolean> {
    const taken = await this.link.commands.claimNode(
      ...this.nodeKeys(this.node),
      this.node,
      this.token,
      this.ttlMs,
      this.keys.uid(''),
      this.keys.group(''),
    );
    return taken === 1;
  }

  /**
   * Renews the deadline and removes the nodes past theirs; false when this process no longer
   * holds its node id (it was removed after missing its deadline), so it must announce itself again.
   */
  async renew(): Promise<boolean> {
    const [held, , expired] = await this.link.commands.tickNode(
      this.keys.nodes,
      this.keys.nodeOwner(this.node),
      this.node,
      this.token,
      this.ttlMs,
    );
    this.dead = new Set(expired);
    await Promise.all(expired.map((node) => this.reap(node)));
    return held === 1;
  }

  /** Removes this node and everything it holds, on a clean shutdown. */
  async leave(): Promise<void> {
    await this.link.commands.leaveNode(
      ...this.nodeKeys(this.node),
      this.node,
      this.token,
      this.keys.uid(''),
      this.keys.group(''),
    );
  }

  private async reap(node: string): Promise<void> {
    const connections = await this.link.commands.reapNode(
      ...this.nodeKeys(node),
      node,
      this.keys.uid(''),
      this.keys.group(''),
    );
    if (connections >= 0) {
      this.logger.warn(
        `node ${node} missed its deadline (PUSH_NODE_TTL_MS=${this.ttlMs}); removed it and its ${connections} connection(s) from the cluster`,
      );
    }
  }

  private nodeKeys(node: string): [string, string, string, string, string] {
    return [
      this.keys.nodes,
      this.keys.nodeOwner(node),
      this.keys.nodeClients(node),
      this.keys.nodeUids(node),
      this.keys.nodeGroups(node),
    ];
  }
}
