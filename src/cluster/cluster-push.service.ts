import {
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { writeRun } from '../common/write-batch.js';
import type { PushConfig } from '../config/push-config.js';
import type { PushEvents } from '../events/push-events.service.js';
import type { ReadinessService } from '../health/readiness.service.js';
import type { AckTracker } from '../history/ack-tracker.service.js';
import { envelope, type Frame, frameOf } from '../history/frame.js';
import {
  type Backlog,
  noBacklog,
  type Owed,
  type UidHistory,
} from '../history/uid-history.service.js';
import type { PushMetrics } from '../metrics/push-metrics.service.js';
import type {
  SendToAllOptions,
  SendToUidOptions,
} from '../push/gateway-api.js';
import {
  PushService,
  type Recovery,
  recoveringIds,
  type SendResult,
  type UidSend,
} from '../push/push.service.js';
import { Receipt, sendResult } from '../push/receipt.js';
import type { Client, Session } from '../registry/client.js';
import { sizeOf, type UidRegistry } from '../registry/uid-registry.service.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import {
  type BusReceiver,
  CALL_TIMEOUT_MS,
  ClusterBus,
} from './cluster-bus.js';
import { ClusterKeys } from './cluster-keys.js';
import {
  type AckNotice,
  type AckReport,
  type AllTarget,
  type CallOp,
  encodeMessage,
  type GroupCopy,
  MessageKind,
  type UidTarget,
} from './cluster-message.js';
import { groupCopyRecipients } from './group-copy.js';
import { groupByNode, newNodeId, nodeOfClientId } from './node-id.js';
import { NodeLiveness } from './node-liveness.js';
import { PresenceQueries } from './presence-queries.js';
import { PresenceWriter } from './presence-writer.js';
import { RedisHistory, type RemoteOwed } from './redis-history.js';
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
 * - queries read the presence every node keeps of its connections in Redis;
 * - the offline buffer, recovery and acknowledgements work across nodes: the uids' histories are
 *   in Redis (`RedisHistory`), a binding reads its backlog there, and nodes report where they
 *   wrote a push that waits for acknowledgements to the node it came through.
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
  private readonly histories: RedisHistory;
  /** Connections binding a uid: what is written to them waits until their backlog is (see `bindClient`). */
  private readonly holding = new Map<Client, Held>();
  /** By `uid\nposition`: the node a push that waits for acknowledgements came through, until when. */
  private readonly ackRoutes = new Map<
    string,
    { origin: string; until: number }
  >();
  /** Bindings waiting for their marker (see `readBacklog`). */
  private readonly markers = new Map<number, () => void>();
  private lastBinding = 0;
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
    this.histories = new RedisHistory(
      this.nodeId,
      this.keys,
      this.link,
      config,
    );
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
    const result = (await this.sendToUidBatch([{ uids, message }]))[0]!;
    return typeof result === 'number' ? result : (await result).connections;
  }

  override async sendToUidWithReceipt(
    uids: string | readonly string[],
    message: unknown,
    options: SendToUidOptions = {},
  ): Promise<Receipt> {
    const result = await (
      await this.sendToUidBatch([{ uids, message, ...options }])
    )[0]!;
    return typeof result === 'number' ? new Receipt(result, 0) : result;
  }

  /**
   * The hot path. Each line goes to Redis as one script per uid (`pushToUid`) that publishes it on
   * the uid's channel, gives it its position when the uid has a history, and keeps it there, or
   * for the first connection to bind the uid when nobody took it; with the presence reads that
   * count the other nodes' connections, a run of lines is one pipeline, one round trip. This
   * node's own connections that do not follow positions get each push at once; those that do get
   * it with its position when it comes back on the uid's channel, in the order Redis published
   * it, like the pushes of the other nodes (see `toUid`).
   */
  override async sendToUidBatch(
    sends: readonly UidSend[],
  ): Promise<SendResult[]> {
    // This node's connections get their pushes at once (in one write each: see `writeRun`).
    const lines = writeRun(sends.length, () =>
      sends.map((send) => this.startUidSend(send)),
    );
    let replies: unknown[];
    try {
      replies = await this.link.run((p) => {
        for (const { uids, message } of lines) {
          for (const uid of uids) {
            const channel = this.keys.uidChannel(uid);
            this.histories.push(
              p,
              uid,
              message,
              this.takesHere(uid),
              this.subscriptions.mayReceive(channel),
            );
            p.smembers(this.keys.uid(uid));
          }
        }
      }, 'written to the connections on this node only');
    } catch (error) {
      // Without positions, then: this node's connections get the pushes all the same.
      for (const { frame, uids } of lines) {
        for (const uid of uids) {
          this.write(recovering(this.registry.clientsOf(uid)), frame);
        }
      }
      throw error;
    }
    let next = 0;
    return lines.map(({ uids, options, here }): SendResult => {
      let connections = here;
      let buffered = 0;
      const waits: Array<Promise<number>> = [];
      for (const uid of uids) {
        const outcome = RedisHistory.outcome(replies[next++]);
        const members = replies[next++] as string[];
        const { position } = outcome;
        if (this.reachedOthers(this.keys.uidChannel(uid), outcome.receivers)) {
          connections += this.countRemote(members);
        }
        if (outcome.pending) {
          buffered++;
        }
        if (options.ack === true && position !== undefined) {
          // Every node the publish reached reports where it wrote the push, this one included;
          // a kept push, the node where the uid binds.
          const reportsDue = outcome.receivers + (outcome.pending ? 1 : 0);
          waits.push(
            this.acks.wait(uid, position, [], reportsDue, options.ackTimeoutMs),
          );
        }
      }
      return sendResult(
        connections,
        buffered,
        options.ack === true ? waits : undefined,
      );
    });
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

  /**
   * Binds one of this node's connections (the gateway's `init`, or `bindUid`), and reads what it
   * is owed from the uid's history in Redis once this node listens to the uid's channel: every
   * push is then either in the backlog or on the channel, some in both. The script that reads the
   * backlog also sends this node a marker over the channels; once it is here, so is every push
   * published before. Until `writeBacklog`, what is written to the connection is held; pushes
   * held that are in the backlog too (by position) are dropped then, so that each arrives once,
   * after `init_ok`.
   */
  override async bindClient(
    clientId: string,
    uid: string,
    recovery?: Recovery,
  ): Promise<Backlog | undefined> {
    const client = this.registry.get(clientId);
    if (client === undefined) {
      return undefined;
    }
    const held = this.holding.get(client) ?? { writes: [], read: false };
    held.read = false;
    this.holding.set(client, held);
    const left = this.rebind(client, uid, recovery);
    if (client.recovers) {
      this.histories.follow(uid);
    }
    if (left !== undefined) {
      this.histories.unfollow(left);
    }
    await Promise.all([this.presence.settled(), this.subscriptions.settled()]);
    const backlog = await this.readBacklog(
      uid,
      client.recovers,
      recovery,
      held,
    );
    if (this.registry.get(clientId) !== client || client.uid !== uid) {
      // Closed, or bound again, meanwhile: what it took goes back for the next connection.
      const taken = backlog.pushes.filter(({ pending }) => pending);
      void this.histories
        .giveBack(
          uid,
          taken.map(({ position }) => position),
        )
        .catch(() => undefined);
      return undefined;
    }
    // What was held came before the backlog was read: a connection coming back from the
    // position it is told must not skip any of it.
    for (const write of held.writes) {
      if (
        write.uid === uid &&
        write.position !== undefined &&
        backlog.position !== undefined &&
        write.position <= backlog.position
      ) {
        backlog.position = write.position - 1;
      }
    }
    return backlog;
  }

  /**
   * The backlog of a binding, once the marker its script sends has come (or its time is up).
   * Without Redis nothing kept can be read: a connection coming back is told to reload.
   */
  private async readBacklog(
    uid: string,
    recover: boolean,
    recovery: Recovery | undefined,
    held: Held,
  ): Promise<Backlog & { pushes: RemoteOwed[] }> {
    const binding = ++this.lastBinding;
    const marker = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CALL_TIMEOUT_MS);
      this.markers.set(binding, () => {
        clearTimeout(timer);
        held.read = true;
        resolve();
      });
    });
    try {
      if (this.link.up) {
        const backlog = await this.histories.bind(
          uid,
          recover,
          recovery?.since,
          encodeMessage(MessageKind.Bound, this.nodeId, { binding }),
        );
        await marker;
        return backlog;
      }
    } catch {
      // The link reports the outage; the connection binds without a backlog.
    } finally {
      this.markers.get(binding)?.();
      this.markers.delete(binding);
    }
    return noBacklog(recovery?.since);
  }

  bindingRead(binding: number): void {
    this.markers.get(binding)?.();
  }

  /** Writes the backlog, then what was held while the connection bound. */
  override writeBacklog(client: Client, backlog: Backlog): void {
    super.writeBacklog(client, backlog);
    const held = this.holding.get(client);
    if (held === undefined) {
      return;
    }
    this.holding.delete(client);
    const owed = new Set(backlog.pushes.map(({ position }) => position));
    const texts = held.writes
      .filter(({ position }) => position === undefined || !owed.has(position))
      .map(({ text }) => text);
    if (texts.length > 0) {
      client.socket.pushBacklog(texts);
    }
  }

  /** A connection left `uid`: it no longer follows it, nor waits for its backlog. */
  override forget(client: Client, uid: string): void {
    this.holding.delete(client);
    if (client.recovers) {
      this.histories.unfollow(uid);
    }
  }

  /** A browser's acknowledgement: counted here, or passed on to the node its push came through. */
  override acknowledge(client: Client, position: number): void {
    const route = this.ackRoutes.get(`${client.uid}\n${position}`);
    if (route === undefined) {
      super.acknowledge(client, position);
    } else {
      const notice: AckNotice = {
        uid: client.uid!,
        position,
        id: client.id,
      };
      this.bus.notify(route.origin, MessageKind.Ack, notice);
    }
  }

  protected override reportBacklogAck(client: Client, push: Owed): void {
    const { origin, waitMs } = push as RemoteOwed;
    this.reportTo(
      origin,
      {
        uid: client.uid!,
        position: push.position,
        ids: client.recovers ? [client.id] : [],
        settles: push.pending,
      },
      waitMs,
    );
  }

  /**
   * Writes to clients as the base class does, but holds what is for a connection that is binding
   * (see `bindClient`).
   */
  protected override write(
    clients: Iterable<Client>,
    frame: Frame,
    position?: number,
    ack = false,
  ): number {
    if (this.holding.size === 0) {
      return super.write(clients, frame, position, ack);
    }
    const now: Client[] = [];
    let count = 0;
    for (const client of clients) {
      const held = this.holding.get(client);
      if (held === undefined) {
        now.push(client);
        continue;
      }
      held.writes.push({
        text: client.recovers ? envelope(frame, position, ack) : frame.text,
        position,
        uid: client.uid,
      });
      count++;
    }
    return count + super.write(now, frame, position, ack);
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

  /**
   * A push to a uid from another node; one of this node's own, back on the uid's channel, was
   * written here already. A push that waits for acknowledgements is reported to its origin,
   * whatever was written here.
   */
  toUid(uid: string, frame: Frame, origin: string, target: UidTarget): void {
    const clients = this.registry.clientsOf(uid);
    const { position, ack = false } = target;
    const written =
      clients === undefined
        ? []
        : origin === this.nodeId
          ? this.awaitingOwnPushes(clients)
          : clients;
    this.write(written, frame, position, ack);
    if (ack && position !== undefined) {
      this.reportTo(
        origin,
        { uid, position, ids: recoveringIds(written), settles: true },
        target.wait,
      );
    }
  }

  reported({ uid, position, ids, settles }: AckReport): void {
    this.acks.report(uid, position, ids, settles);
  }

  acked({ uid, position, id }: AckNotice): void {
    this.acks.ack(uid, position, id);
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

  /**
   * Whether this node takes a push to `uid` itself: it writes it at once to a connection that
   * does not follow positions, or gets it back on the uid's channel for one that does (which is
   * sure once that connection's binding has read its backlog).
   */
  private takesHere(uid: string): boolean {
    for (const client of this.registry.clientsOf(uid) ?? []) {
      if (!client.recovers || this.holding.get(client)?.read !== false) {
        return true;
      }
    }
    return false;
  }

  /**
   * Of this node's connections of a uid, those that get one of its own pushes when it comes back
   * on the uid's channel: those that follow positions (the others had it at once), but not those
   * still binding whose backlog's marker has not come (their backlog has the push if nobody took
   * it).
   */
  private awaitingOwnPushes(clients: Iterable<Client>): Client[] {
    const awaiting: Client[] = [];
    for (const client of clients) {
      if (client.recovers && this.holding.get(client)?.read !== false) {
        awaiting.push(client);
      }
    }
    return awaiting;
  }

  /**
   * Reports where a push that waits for acknowledgements was written to the node it came through,
   * and remembers that node while it waits, for the acknowledgements to follow.
   */
  private reportTo(
    origin: string,
    report: AckReport,
    waitMs = this.config.ackTimeoutMs,
  ): void {
    if (origin === this.nodeId) {
      this.acks.report(report.uid, report.position, report.ids, report.settles);
      return;
    }
    this.bus.notify(origin, MessageKind.Report, report);
    if (report.ids.length > 0) {
      this.ackRoutes.set(`${report.uid}\n${report.position}`, {
        origin,
        until: Date.now() + waitMs,
      });
    }
  }

  /** Lets go of the routes of acknowledgements nobody waits for any more. */
  private dropAckRoutes(): void {
    const now = Date.now();
    for (const [key, { until }] of this.ackRoutes) {
      if (until <= now) {
        this.ackRoutes.delete(key);
      }
    }
  }

  /** Every third of the node TTL: renew this node's deadline, or retry announcing it. */
  private async tick(): Promise<void> {
    if (!this.link.up) {
      this.link.synchronize();
      return;
    }
    this.dropAckRoutes();
    try {
      if (!(await this.liveness.renew())) {
        this.link.reannounce();
        return;
      }
      await this.histories.maintain();
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
   * The start of a send to uids: written at once to this node's connections of them that do not
   * follow positions. `here` counts all of this node's connections of them.
   */
  private startUidSend({
    uids,
    message: sent,
    ...options
  }: UidSend): UidSendLine {
    const frame = frameOf(sent);
    const list = typeof uids === 'string' ? [uids] : [...new Set(uids)];
    let here = 0;
    for (const uid of list) {
      const clients = this.registry.clientsOf(uid);
      if (clients !== undefined) {
        here += sizeOf(clients);
        this.write(notRecovering(clients), frame);
      }
    }
    const meta = uidMeta(frame, options, this.config);
    const published = meta === '' ? '' : `{${meta}}`;
    const message = `${MessageKind.Uid} ${this.nodeId} ${published}\n${frame.text}`;
    return { frame, uids: list, options, here, message };
  }

  /** Whether a publish on `channel` reached a node other than this one. */
  private reachedOthers(channel: string, receivers: number): boolean {
    return receivers - (this.subscriptions.mayReceive(channel) ? 1 : 0) > 0;
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

/** A connection binding a uid: what is written to it meanwhile, and whether its backlog is read. */
interface Held {
  /** With the position of a push to a uid, and the uid the connection was bound to then. */
  writes: Array<{
    text: string;
    position: number | undefined;
    uid: string | undefined;
  }>;
  /** Its backlog's marker came: pushes published from now on are not in the backlog. */
  read: boolean;
}

/** A send to uids between its start (this node's part) and the answer from Redis. */
interface UidSendLine {
  frame: Frame;
  /** Its uids, each once. */
  uids: string[];
  options: SendToUidOptions;
  /** This node's connections of its uids. */
  here: number;
  /** As published on a uid channel without a position (see `encodeMessage`). */
  message: string;
}

/** A uid push's meta as JSON members: empty for a JSON message that waits for nothing. */
function uidMeta(
  frame: Frame,
  { ack, ackTimeoutMs }: SendToUidOptions,
  config: PushConfig,
): string {
  const text = frame.isText ? '"text":true' : '';
  if (ack !== true) {
    return text;
  }
  const wait = `"ack":true,"wait":${ackTimeoutMs ?? config.ackTimeoutMs}`;
  return text === '' ? wait : `${text},${wait}`;
}

function recovering(clients: Iterable<Client> | undefined): Client[] {
  return [...(clients ?? [])].filter((client) => client.recovers);
}

function notRecovering(clients: Iterable<Client>): Iterable<Client> {
  for (const client of clients) {
    if (client.recovers) {
      return [...clients].filter((other) => !other.recovers);
    }
  }
  return clients;
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
