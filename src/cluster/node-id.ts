import { randomBytes } from 'node:crypto';

/** What a node id may be (`PUSH_NODE_ID` is validated against the same rule). */
const NODE_ID = /^[\w-]{1,40}$/;

/** A node id for a node started without `PUSH_NODE_ID`: random, so never one another node has. */
export function newNodeId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The node holding a connection, read from its client id (`<node>.<random>-<n>` in cluster mode);
 * undefined for an id that no node of a cluster gave out.
 */
export function nodeOfClientId(clientId: string): string | undefined {
  const dot = clientId.indexOf('.');
  if (dot <= 0) {
    return undefined;
  }
  const node = clientId.slice(0, dot);
  return NODE_ID.test(node) ? node : undefined;
}

/** Client ids by the node holding them, each once; ids of no cluster node are left out. */
export function groupByNode(
  clientIds: Iterable<string>,
): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const id of new Set(clientIds)) {
    const node = nodeOfClientId(id);
    if (node === undefined) {
      continue;
    }
    let ids = byNode.get(node);
    if (ids === undefined) {
      ids = [];
      byNode.set(node, ids);
    }
    ids.push(id);
  }
  return byNode;
}
