import {
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { PushConfig } from '../config/push-config.js';
import type { PushEvents } from '../events/push-events.service.js';
import type { ReadinessService } from '../health/readiness.service.js';
import type { AckTracker } from '../history/ack-tracker.service.js';
import { type Frame, frameOf } from '../history/frame.js';
import type { Backlog, UidHistory } from '../history/uid-history.service.js';
import type { PushMetrics } from '../metrics/push-metrics.service.js';
import type {
  SendToAllOptions,
  SendToUidOptions,
} from '../push/gateway-api.js';
import {
  PushService,
  type Recovery,
  type UidSend,
} from '../push/push.service.js';
import { Receipt } from '../push/receipt.js';
import type { Client, Session } from '../registry/client.js';
import type { UidRegistry } from '../registry/uid-registry.service.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { type BusReceiver, ClusterBus } from './cluster-bus.js';
import { ClusterKeys } from './cluster-keys.js';
import {
  type AllTarget,
  type CallOp,
  encodeMessage,
  type GroupCopy,
  MessageKind,
} from './cluster-message.js';
import { groupCopyRecipients } from './group-copy.js';
import { groupByNode, newNodeId, nodeOfClientId } from './node-id.js';
import { NodeLiveness } from './node-liveness.js';
import { PresenceQueries } from './presence-queries.js';
import { PresenceWriter } from './presence-writer.js';
import { type LinkListener, RedisLink } from './redis-link.js';

/**
 * `PushService` for a node of a cluster: the same Gateway API, answered for every node that shares
 * the Redis at `PUSH_REDIS_URL` (docs/cluster.md has the design). What concerns this node's own
 * connections runs as in a single node (the base class); the rest goes through Redis:
 *
 * - pushes are published on the channel of each target uid or group, which only the nodes holding
 *   one of its connections listen to, on the all channel (`sendToAll`), or on the channel of the
 *   node a client id names (`sendToClient`); the count of a push adds the connections written here
 *   and those the presence lists on other live nodes that received it;
 * - changes and questions about another node's connection (`bindUid`, sessions, `closeClient`,
 *   ...) are calls to that node, which answers;
 * - queries read the presence every node keeps of its connections in Redis.
 *
 * Without Redis, this node's connections keep working and its own pushes still reach them; what
 * needs the other nodes fails with `cluster_unavailable`. The node reconnects by itself and
 * announces its presence and subscriptions again.
 */
export class ClusterPushService
  extends PushService
  implements OnModuleInit, OnApplicationShutdown, LinkListener, BusReceiver
{
  readonly nodeId: string;
  private readonly keys: ClusterKeys;
  private readonly link: RedisLink;
  private readonly subscriptions: ChannelSubscriptions;
  private readonly presence: PresenceWriter;
  private readonly liveness: NodeLiveness;
  private readonly queries: PresenceQueries;
  private readonly bus: ClusterBus;
  private timer: NodeJS.Timeout | undefined;
  private readonly logger = new Logger('Cluster');

  constructor(
    registry: UidRegistry,
    events: PushEvents,
    metrics: PushMetrics,
    history: UidHistory,
    acks: AckTracker,
    private readonly config: PushConfig,
    readiness: ReadinessService,
  ) {
    super(registry, events, metrics, history, acks);
    this.nodeId = config.nodeId || newNodeId();
    this.keys = new ClusterKeys(config.redisPrefix);
    this.link = new RedisLink(
      config.redisUrl,
      `pushgate:${this.nodeId}`,
      readiness,
      this,
    );
    this.subscriptions = new ChannelSubscriptions(this.link.subscriber);
    this.subscriptions.want(this.keys.nodeChannel(this.nodeId));
    this.subscriptions.want(this.keys.allChannel);
    this.presence = new PresenceWriter(
      this.nodeId,
      this.keys,
      registry,
      this.subscriptions,
      (commands) => this.link.commands.pipeline(commands).exec(),
    );
    this.liveness = new NodeLiveness(
      this.nodeId,
      config.nodeTtlMs,
      this.keys,
      this.link,
    );
    this.queries = new PresenceQueries(this.nodeId, this.keys, this.link);
    this.bus = new ClusterBus(this.nodeId, this.keys, this.link, this);
    registry.attach(this.nodeId, this.presence);
  }

  /** Connects to Redis before the listeners start; a node that cannot reach it starts anyway, not ready. */
  async onModuleInit(): Promise<void> {
    new Logger('Pushgate').log(
      `Cluster    node ${this.nodeId} on ${redacted(this.config.redisUrl)}, prefix ${this.config.redisPrefix}`,
    );
    await this.link.connect();
    this.timer = setInterval(() => void this.tick(), this.liveness.intervalMs);
    this.timer.unref();
  }

  /** After the listeners have closed: leaves the cluster cleanly, then closes the connections. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    const wasUp = this.link.up;
    this.presence.pause();
    this.subscriptions.pause();
    if (wasUp) {
      await this.liveness.leave().catch(() => undefined);
    }
    await this.link.close();
  }

  // --- Sending -------------------------------------------------------------------------------

  override async sendToUid(
    uids: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    const [result] = await this.sendToUidBatch([{ uids, message }]);
    return typeof result === 'number' ? result : result!.connections;
  }

  override async sendToUidWithReceipt(
    uids: string | readonly string[],
    message: unknown,
    options: SendToUidOptions = {},
  ): Promise<Receipt> {
    const [result] = await this.sendToUidBatch([{ uids, message, ...options }]);
    return typeof result === 'number' ? new Receipt(result, 0) : result!;
  }

  /**
   * The hot path. Each line is published on the channel of each of its uids; the run's publishes,
   * and the presence reads that count the other nodes' connections, go to Redis as one pipeline,
   * one round trip per run. The uids this node holds get the single node's treatment at once
   * (written, kept for a recovering connection that follows the uid, acknowledgements awaited).
   * The others are decided after the round trip: when no other node took the push either, it gets
   * the single node's treatment then, which keeps it for the first connection to bind the uid here.
   */
  override async sendToUidBatch(
    sends: readonly UidSend[],
  ): Promise<Array<number | Receipt>> {
    const lines = sends.map((send) => this.startUidSend(send));
    if (!this.link.up) {
      throw this.link.unavailable(
        'written to the connections on this node only',
      );
    }
    const replies = await this.link.run((p) => {
      for (const { frame, uids } of lines) {
        const envelope = encodeMessage(
          MessageKind.Uid,
          this.nodeId,
          frame.isText ? { text: true } : undefined,
          frame.text,
        );
        for (const uid of uids) {
          p.publish(this.keys.uidChannel(uid), envelope);
          p.smembers(this.keys.uid(uid));
        }
      }
    }, 'written to the connections on this node only');
    let next = 0;
    const results = lines.map(({ frame, uids, options, here, result }) => {
      let remote = 0;
      const nobody: string[] = [];
      for (const uid of uids) {
        const received = replies[next++] as number;
        const members = replies[next++] as string[];
        const reached = this.reachedOthers(this.keys.uidChannel(uid), received)
          ? this.countRemote(members)
          : 0;
        remote += reached;
        if (reached === 0 && !here.includes(uid)) {
          nobody.push(uid);
        }
      }
      const later =
        nobody.length === 0 ? 0 : this.toUids(nobody, frame, options);
      return combine(result, later, remote);
    });
    return results.some((result) => result instanceof Promise)
      ? Promise.all(results.map(async (result) => result))
      : (results as Array<number | Receipt>);
  }

  override async sendToClient(
    clientIds: string | readonly string[],
    message: unknown,
  ): Promise<number> {
    const frame = frameOf(message);
    const byNode = groupByNode(listOf(clientIds));
    const here = byNode.get(this.nodeId) ?? [];
    byNode.delete(this.nodeId);
    const local = this.write(this.clientsById(here), frame);
    if (byNode.size === 0) {
      return local;
    }
    const nodes = [...byNode];
    const replies = await this.link.run((p) => {
      for (const [node, ids] of nodes) {
        p.publish(
          this.keys.nodeChannel(node),
          encodeMessage(
            MessageKind.Clients,
            this.nodeId,
            withText({ ids }, frame),
            frame.text,
          ),
        );
        p.hmget(this.keys.nodeClients(node), ...ids);
      }
    }, writtenHere(local));
    let remote = 0;
    nodes.forEach((_, i) => {
      if ((replies[2 * i] as number) > 0) {
        remote += (replies[2 * i + 1] as Array<string | null>).filter(
          (record) => record !== null,
        ).length;
      }
    });
    return local + remote;
  }

  override async sendToGroup(
    groups: string | readonly string[],
    message: unknown,
    exclude: readonly string[] = [],
  ): Promise<number> {
    const list = [...new Set(listOf(groups))];
    const frame = frameOf(message);
    const local = this.write(
      except(
        this.collect(list, (group) => this.registry.membersOf(group)),
        exclude,
      ),
      frame,
    );
    const replies = await this.link.run((p) => {
      list.forEach((group, index) => {
        const copy: GroupCopy = withText({ groups: list, index }, frame);
        if (exclude.length > 0) {
          copy.exclude = [...exclude];
        }
        p.publish(
          this.keys.groupChannel(group),
          encodeMessage(MessageKind.Group, this.nodeId, copy, frame.text),
        );
        p.smembers(this.keys.group(group));
      });
    }, writtenHere(local));
    const excluded = new Set(exclude);
    const remote = new Set<string>();
    list.forEach((group, i) => {
      if (
        this.reachedOthers(
          this.keys.groupChannel(group),
          replies[2 * i] as number,
        )
      ) {
        for (const id of replies[2 * i + 1] as string[]) {
          if (!excluded.has(id) && this.isRemoteAlive(id)) {
            remote.add(id);
          }
        }
      }
    });
    return local + remote.size;
  }

  override async sendToAll(
    message: unknown,
    { clientIds, exclude = [] }: SendToAllOptions = {},
  ): Promise<number> {
    if (clientIds !== undefined) {
      const excluded = new Set(exclude);
      return this.sendToClient(
        clientIds.filter((id) => !excluded.has(id)),
        message,
      );
    }
    const frame = frameOf(message);
    const local = this.write(
      except(this.registry.allClients(), exclude),
      frame,
    );
    const target: AllTarget = withText({}, frame);
    if (exclude.length > 0) {
      target.exclude = [...exclude];
    }
    const [received, live] = await this.link.run((p) => {
      p.publish(
        this.keys.allChannel,
        encodeMessage(MessageKind.All, this.nodeId, target, frame.text),
      );
      p.liveNodes(this.keys.nodes);
    }, writtenHere(local));
    const nodes = (live as string[]).filter((node) => node !== this.nodeId);
    if ((received as number) <= 1 || nodes.length === 0) {
      return local;
    }
    const excludedByNode = groupByNode(exclude);
    const replies = await this.link.run((p) => {
      for (const node of nodes) {
        p.hlen(this.keys.nodeClients(node));
        const excluded = excludedByNode.get(node);
        if (excluded !== undefined) {
          p.hmget(this.keys.nodeClients(node), ...excluded);
        }
      }
    }, writtenHere(local));
    let remote = 0;
    let next = 0;
    for (const node of nodes) {
      remote += replies[next++] as number;
      if (excludedByNode.has(node)) {
        const records = replies[next++] as Array<string | null>;
        remote -= records.filter((record) => record !== null).length;
      }
    }
    return local + remote;
  }

  // --- Binding, groups, sessions, closing: here, or a call to the node that holds the client ---

  /** The gateway's `init`: this node's own connection; answered once the cluster can reach it. */
  override bindClient(
    clientId: string,
    uid: string,
    recovery?: Recovery,
  ): Promise<Backlog | undefined> {
    return this.settledAfter(super.bindClient(clientId, uid, recovery));
  }

  override bindUid(clientId: string, uid: string): Promise<boolean> {
    return this.onClient(clientId, 'bindUid', [uid], false, () =>
      super.bindUid(clientId, uid),
    );
  }

  override unbindUid(clientId: string, uid: string): Promise<boolean> {
    return this.onClient(clientId, 'unbindUid', [uid], false, () =>
      super.unbindUid(clientId, uid),
    );
  }

  override joinGroup(clientId: string, group: string): Promise<boolean> {
    return this.onClient(clientId, 'joinGroup', [group], false, () =>
      super.joinGroup(clientId, group),
    );
  }

  override leaveGroup(clientId: string, group: string): Promise<boolean> {
    return this.onClient(clientId, 'leaveGroup', [group], false, () =>
      super.leaveGroup(clientId, group),
    );
  }

  override getSession(clientId: string): Promise<Session | null> {
    return this.onClient(clientId, 'getSession', [], null, () =>
      super.getSession(clientId),
    );
  }

  override setSession(clientId: string, session: Session): Promise<boolean> {
    return this.onClient(clientId, 'setSession', [session], false, () =>
      super.setSession(clientId, session),
    );
  }

  override updateSession(clientId: string, session: Session): Promise<boolean> {
    return this.onClient(clientId, 'updateSession', [session], false, () =>
      super.updateSession(clientId, session),
    );
  }

  override closeClient(clientId: string, message?: unknown): Promise<boolean> {
    return this.onClient(
      clientId,
      'closeClient',
      message === undefined ? [] : [message],
      false,
      () => super.closeClient(clientId, message),
    );
  }

  /** Dissolves the group here, and asks every node holding a member to do the same. */
  override async ungroup(group: string): Promise<number> {
    const local = await this.settledAfter(super.ungroup(group));
    if (!this.link.up) {
      throw this.link.unavailable(
        `the group's ${local} connection(s) on this node left it`,
      );
    }
    const counts = await this.bus.call(
      this.keys.groupChannel(group),
      'ungroupHere',
      [group],
    );
    return counts.reduce<number>(
      (sum, count) => sum + (typeof count === 'number' ? count : 0),
      local,
    );
  }

  // --- Queries: this node's registry, plus the presence of the other live nodes ---------------

  override async isOnline(clientId: string): Promise<boolean> {
    const node = nodeOfClientId(clientId);
    if (node === this.nodeId || node === undefined) {
      return super.isOnline(clientId);
    }
    return (await this.queries.record(clientId, node)) !== undefined;
  }

  override async isUidOnline(uid: string): Promise<boolean> {
    return (
      (await super.isUidOnline(uid)) ||
      (await this.queries.remoteMembers(this.keys.uid(uid))).length > 0
    );
  }

  override async getClientIdByUid(uid: string): Promise<string[]> {
    const remote = await this.queries.remoteMembers(this.keys.uid(uid));
    return [...(await super.getClientIdByUid(uid)), ...remote];
  }

  override async getUidByClientId(clientId: string): Promise<string | null> {
    const node = nodeOfClientId(clientId);
    if (node === this.nodeId || node === undefined) {
      return super.getUidByClientId(clientId);
    }
    return (await this.queries.record(clientId, node))?.uid ?? null;
  }

  override async getClientIdListByGroup(group: string): Promise<string[]> {
    const remote = await this.queries.remoteMembers(this.keys.group(group));
    return [...(await super.getClientIdListByGroup(group)), ...remote];
  }

  override async getClientCountByGroup(group: string): Promise<number> {
    return (await this.getClientIdListByGroup(group)).length;
  }

  override async getUidListByGroup(group: string): Promise<string[]> {
    const remote = await this.queries.uidsOf(
      await this.queries.remoteMembers(this.keys.group(group)),
    );
    return [...union(await super.getUidListByGroup(group), remote)];
  }

  override async getUidCountByGroup(group: string): Promise<number> {
    return (await this.getUidListByGroup(group)).length;
  }

  override async getAllClientIdList(): Promise<string[]> {
    const remote = await this.queries.allClientIds();
    return [...(await super.getAllClientIdList()), ...remote];
  }

  override async getAllClientCount(): Promise<number> {
    const remote = await this.queries.allClientCount();
    return (await super.getAllClientCount()) + remote;
  }

  override async getAllUidList(): Promise<string[]> {
    const remote = await this.queries.allUids();
    return [...union(await super.getAllUidList(), remote)];
  }

  override async getAllUidCount(): Promise<number> {
    return (await this.getAllUidList()).length;
  }

  override async getAllGroupIdList(): Promise<string[]> {
    const remote = await this.queries.allGroups();
    return [...union(await super.getAllGroupIdList(), remote)];
  }

  // --- What other nodes send this one (BusReceiver) --------------------------------------------

  toUid(uid: string, frame: Frame): void {
    // Only while the uid has a connection here: the sender keeps a push nobody took, not us.
    if (this.registry.clientsOf(uid) !== undefined) {
      void this.toUids(uid, frame, {});
    }
  }

  toGroup(copy: GroupCopy, frame: Frame): void {
    this.write(
      groupCopyRecipients(
        copy.groups,
        copy.index,
        (group) => this.registry.membersOf(group),
        copy.exclude,
      ),
      frame,
    );
  }

  toClients(ids: readonly string[], frame: Frame): void {
    this.write(this.clientsById(ids), frame);
  }

  toAll(exclude: readonly string[], frame: Frame): void {
    this.write(except(this.registry.allClients(), exclude), frame);
  }

  /** A call from another node; only ever about this node's own connections. */
  call(op: CallOp, args: unknown[]): Promise<unknown> {
    if (op === 'ungroupHere') {
      return this.settledAfter(super.ungroup(String(args[0])));
    }
    const [clientId, ...rest] = args as [string, ...unknown[]];
    if (nodeOfClientId(clientId) !== this.nodeId) {
      // Never passed on: a confused or foreign caller cannot make nodes call each other in turn.
      return Promise.resolve(op === 'getSession' ? null : false);
    }
    switch (op) {
      case 'bindUid':
        return this.bindUid(clientId, String(rest[0]));
      case 'unbindUid':
        return this.unbindUid(clientId, String(rest[0]));
      case 'joinGroup':
        return this.joinGroup(clientId, String(rest[0]));
      case 'leaveGroup':
        return this.leaveGroup(clientId, String(rest[0]));
      case 'getSession':
        return this.getSession(clientId);
      case 'setSession':
        return this.setSession(clientId, rest[0] as Session);
      case 'updateSession':
        return this.updateSession(clientId, rest[0] as Session);
      case 'closeClient':
        return this.closeClient(clientId, rest[0]);
    }
  }

  // --- The link (LinkListener) ------------------------------------------------------------------

  /** Connected (again): take the node id, write the whole presence, listen to every channel. */
  async connected(): Promise<void> {
    if (!(await this.liveness.claim())) {
      throw new Error(
        `node id ${this.nodeId} is held by another live node; trying again every ${this.liveness.intervalMs} ms`,
      );
    }
    const [written] = await Promise.all([
      this.link.commands.pipeline(this.presence.resume()).exec(),
      this.subscriptions.resubscribeAll(),
    ]);
    const failed = written?.find(([error]) => error !== null)?.[0];
    if (failed !== undefined) {
      throw failed;
    }
    await this.liveness.renew();
  }

  disconnected(): void {
    this.presence.pause();
    this.subscriptions.pause();
    this.bus.failCalls(this.link.unavailable());
  }

  message(channel: string, text: string): void {
    this.bus.receive(channel, text);
  }

  // --- Helpers ----------------------------------------------------------------------------------

  /** Every third of the node TTL: renew this node's deadline, or retry announcing it. */
  private async tick(): Promise<void> {
    if (!this.link.up) {
      this.link.synchronize();
      return;
    }
    try {
      if (!(await this.liveness.renew())) {
        this.link.reannounce();
      }
    } catch {
      // The link reports an outage itself; a missed renewal is retried at the next tick.
    }
  }

  /**
   * Runs `here` when this node holds the client, and waits until Redis reflects the change (so
   * that a query on any node sees it); asks the node holding it otherwise. An id of no node is
   * an unknown client: `unknown`.
   */
  private async onClient<T>(
    clientId: string,
    op: CallOp,
    rest: unknown[],
    unknown: T,
    here: () => Promise<T>,
  ): Promise<T> {
    const node = nodeOfClientId(clientId);
    if (node === this.nodeId) {
      return this.settledAfter(here());
    }
    if (node === undefined) {
      return unknown;
    }
    const results = await this.bus.call(this.keys.nodeChannel(node), op, [
      clientId,
      ...rest,
    ]);
    return results.length === 0 ? unknown : (results[0] as T);
  }

  /** `change`'s result once the presence writes and subscriptions it caused are done (or the link is down). */
  private async settledAfter<T>(change: Promise<T>): Promise<T> {
    const result = await change;
    await Promise.all([this.presence.settled(), this.subscriptions.settled()]);
    return result;
  }

  /**
   * The start of a send to uids: the uids this node holds get the single node's treatment now;
   * what that gave is `here`'s result, picked up by `hereResult` after the round trip.
   */
  private startUidSend({ uids, message, ...options }: UidSend): UidSendLine {
    const frame = frameOf(message);
    const list = typeof uids === 'string' ? [uids] : [...new Set(uids)];
    const here =
      list.length === 1
        ? this.registry.clientsOf(list[0]!) === undefined
          ? NONE
          : list
        : list.filter((uid) => this.registry.clientsOf(uid) !== undefined);
    // One uid goes in as a string: the single node's fast path.
    const result =
      here.length === 0
        ? 0
        : this.toUids(here.length === 1 ? here[0]! : here, frame, options);
    return { frame, uids: list, options, here, result };
  }

  /** Whether a publish on `channel` reached a node other than this one. */
  private reachedOthers(channel: string, receivers: number): boolean {
    return receivers - (this.subscriptions.has(channel) ? 1 : 0) > 0;
  }

  /** How many of an index set's members are connections of other nodes not known to be dead. */
  private countRemote(members: readonly string[]): number {
    let count = 0;
    for (const id of members) {
      if (this.isRemoteAlive(id)) {
        count++;
      }
    }
    return count;
  }

  private isRemoteAlive(clientId: string): boolean {
    const node = nodeOfClientId(clientId);
    return (
      node !== undefined && node !== this.nodeId && !this.liveness.isDead(node)
    );
  }
}

/** A send to uids between its start (this node's part) and the answer from Redis. */
interface UidSendLine {
  frame: Frame;
  /** Its uids, each once. */
  uids: string[];
  options: SendToUidOptions;
  /** The uids this node holds a connection of, given the single node's treatment at once. */
  here: readonly string[];
  /** What that treatment gave. */
  result: SendResult;
}

type SendResult = number | Receipt | Promise<Receipt>;

const NONE: readonly string[] = [];

/** A line's result: this node's part, the part decided after the round trip, the other nodes'. */
function combine(
  here: SendResult,
  later: SendResult,
  remote: number,
): SendResult {
  if (here instanceof Promise || later instanceof Promise) {
    return Promise.all([here, later]).then(
      ([a, b]) => combine(a, b, remote) as Receipt,
    );
  }
  if (typeof here === 'number' && typeof later === 'number') {
    return here + later + remote;
  }
  const [a, b] = [asReceipt(here), asReceipt(later)];
  const acked =
    a.acked === undefined && b.acked === undefined
      ? undefined
      : (a.acked ?? 0) + (b.acked ?? 0);
  return new Receipt(
    a.connections + b.connections + remote,
    a.buffered + b.buffered,
    acked,
  );
}

function asReceipt(result: number | Receipt): Receipt {
  return typeof result === 'number' ? new Receipt(result, 0) : result;
}

/** The clients, but the excluded ones. */
function except(
  clients: Iterable<Client>,
  exclude: readonly string[],
): Iterable<Client> {
  if (exclude.length === 0) {
    return clients;
  }
  const excluded = new Set(exclude);
  return [...clients].filter((client) => !excluded.has(client.id));
}

/** A push's meta, saying whether its frame is a string message. */
function withText<T extends object>(meta: T, frame: Frame): T {
  return frame.isText ? { ...meta, text: true } : meta;
}

function listOf(keys: string | readonly string[]): readonly string[] {
  return typeof keys === 'string' ? [keys] : keys;
}

function union(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const all = new Set(a);
  for (const item of b) {
    all.add(item);
  }
  return all;
}

function writtenHere(count: number): string {
  return `written to the ${count} connection(s) on this node only`;
}

/** The Redis URL without its password, for the log. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    return 'the configured Redis';
  }
}
