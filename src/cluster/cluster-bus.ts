import { Logger } from '@nestjs/common';
import { toErrorBody } from '../common/errors/error-body.js';
import { ClusterUnavailableError } from '../common/errors/cluster-unavailable.error.js';
import { PushError } from '../common/errors/push.error.js';
import type { Frame } from '../history/frame.js';
import type { ClusterKeys } from './cluster-keys.js';
import {
  type AckNotice,
  type AckReport,
  type AllTarget,
  type BindMarker,
  type CallOp,
  type CallReply,
  type CallRequest,
  type ClientsTarget,
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  type GroupCopy,
  MessageKind,
  type PushMeta,
  type UidTarget,
} from './cluster-message.js';
import type { RedisLink } from './redis-link.js';

/** Milliseconds a node waits for the answers to a call before it gives up with `cluster_unavailable`. */
export const CALL_TIMEOUT_MS = 3000;

/** What this node does with what other nodes send it. */
export interface BusReceiver {
  /** A push to a uid; `origin` may be this node (see `ClusterPushService.toUid`). */
  toUid(uid: string, frame: Frame, origin: string, target: UidTarget): void;
  toGroup(copy: GroupCopy, frame: Frame): void;
  toClients(ids: readonly string[], frame: Frame): void;
  toAll(exclude: readonly string[], frame: Frame): void;
  /** Runs a call of another node; its result (or `PushError`) is the answer. */
  call(op: CallOp, args: unknown[]): Promise<unknown>;
  reported(report: AckReport): void;
  acked(notice: AckNotice): void;
  /** The backlog of a binding of this node's was read, and every push published before is here. */
  bindingRead(binding: number): void;
}

interface PendingCall {
  /** How many nodes received the call: known once PUBLISH answers, which may be after a reply. */
  expected: number | undefined;
  results: unknown[];
  resolve(results: unknown[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Messages between nodes, over Redis pub/sub: hands what arrives on this node's channels to the
 * receiver, and makes calls (a request published on a channel, one reply from every node that
 * received it, on the caller's node channel). Pushes need no reply and are published by
 * `ClusterPushService` itself, pipelined with the presence reads that count their recipients.
 */
export class ClusterBus {
  private readonly calls = new Map<number, PendingCall>();
  private lastCallId = 0;
  private readonly logger = new Logger('Cluster');

  constructor(
    private readonly node: string,
    private readonly keys: ClusterKeys,
    private readonly link: RedisLink,
    private readonly receiver: BusReceiver,
  ) {}

  /**
   * A message on one of this node's channels. It never throws: it runs inside the Redis client's
   * event handler, where an exception would end the process.
   */
  receive(channel: string, text: string): void {
    try {
      this.dispatch(channel, text);
    } catch (error) {
      this.logger.error(`a message on ${channel} failed`, error);
    }
  }

  private dispatch(channel: string, text: string): void {
    const message = decodeMessage(text);
    if (message === undefined) {
      return;
    }
    if (message.kind === MessageKind.Call) {
      this.answer(message);
      return;
    }
    if (message.kind === MessageKind.Uid) {
      const uid = this.keys.uidOfChannel(channel);
      if (uid !== undefined) {
        // The receiving node's hot path: a JSON message to a uid without a history has no meta.
        const target =
          message.meta === '' ? NO_META : parse<UidTarget>(message);
        this.receiver.toUid(
          uid,
          frameOf(message.body, target),
          message.origin,
          target,
        );
      }
      return;
    }
    if (message.kind === MessageKind.Bound) {
      this.receiver.bindingRead(parse<BindMarker>(message).binding);
      return;
    }
    if (message.origin === this.node) {
      // Our own push, back on a channel we listen to: this node delivered it already.
      return;
    }
    switch (message.kind) {
      case MessageKind.Group: {
        const copy = parse<GroupCopy>(message);
        this.receiver.toGroup(copy, frameOf(message.body, copy));
        return;
      }
      case MessageKind.Clients: {
        const target = parse<ClientsTarget>(message);
        this.receiver.toClients(target.ids, frameOf(message.body, target));
        return;
      }
      case MessageKind.All: {
        const target = parse<AllTarget>(message);
        this.receiver.toAll(
          target.exclude ?? [],
          frameOf(message.body, target),
        );
        return;
      }
      case MessageKind.Reply:
        this.replied(parse<CallReply>(message));
        return;
      case MessageKind.Report:
        this.receiver.reported(parse<AckReport>(message));
        return;
      case MessageKind.Ack:
        this.receiver.acked(parse<AckNotice>(message));
        return;
    }
  }

  /**
   * Asks every node listening on `channel` to run `op`; resolves with their results, one per node
   * that received it (none when no node listens). Fails with `cluster_unavailable` while the link
   * is down or when an answer is missing after CALL_TIMEOUT_MS, and with a node's own error when
   * it answered one.
   */
  call(channel: string, op: CallOp, args: unknown[]): Promise<unknown[]> {
    this.link.assertUp();
    const id = ++this.lastCallId;
    return new Promise((resolve, reject) => {
      const pending: PendingCall = {
        expected: undefined,
        results: [],
        resolve,
        reject,
        timer: setTimeout(
          () =>
            this.settle(
              id,
              new ClusterUnavailableError(
                `${op}: no answer from ${pending.expected === undefined ? 'Redis' : 'the node(s) holding the target'} within ${CALL_TIMEOUT_MS} ms`,
              ),
            ),
          CALL_TIMEOUT_MS,
        ),
      };
      this.calls.set(id, pending);
      const request: CallRequest = { id, op, args };
      this.link.commands
        .publish(channel, encodeMessage(MessageKind.Call, this.node, request))
        .then(
          (receivers) => {
            pending.expected = receivers;
            this.check(id);
          },
          () => this.settle(id, this.link.unavailable()),
        );
    });
  }

  /**
   * Tells `node` about a push it sent (`Report`, `Ack`). No answer comes back: a lost notice costs
   * the sender's wait for acknowledgements its time, nothing else.
   */
  notify(node: string, kind: 'e' | 'k', meta: AckReport | AckNotice): void {
    if (this.link.up) {
      this.link.commands
        .publish(
          this.keys.nodeChannel(node),
          encodeMessage(kind, this.node, meta),
        )
        .catch(() => undefined); // the link reports the outage
    }
  }

  /** The link went down: every call waiting for answers fails with `error`. */
  failCalls(error: Error): void {
    for (const id of this.calls.keys()) {
      this.settle(id, error);
    }
  }

  private answer(message: ClusterMessage): void {
    const request = parse<CallRequest>(message);
    if (message.origin === this.node) {
      // Our own call, on a channel we listen to as well: we did our part before asking.
      this.replied({ id: request.id });
      return;
    }
    const reply = (answer: CallReply) =>
      this.link.commands
        .publish(
          this.keys.nodeChannel(message.origin),
          encodeMessage(MessageKind.Reply, this.node, answer),
        )
        .catch(() => undefined); // the caller times out; the link reports the outage
    void this.receiver.call(request.op, request.args).then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) => {
        if (!(error instanceof PushError)) {
          this.logger.error(
            `${request.op} for ${message.origin} failed`,
            error,
          );
        }
        return reply({ id: request.id, error: toErrorBody(error) });
      },
    );
  }

  private replied({ id, result, error }: CallReply): void {
    const pending = this.calls.get(id);
    if (pending === undefined) {
      return;
    }
    if (error !== undefined) {
      this.settle(id, new PushError(error.code, error.message));
      return;
    }
    pending.results.push(result);
    this.check(id);
  }

  private check(id: number): void {
    const pending = this.calls.get(id);
    if (
      pending?.expected !== undefined &&
      pending.results.length >= pending.expected
    ) {
      this.settle(id, undefined);
    }
  }

  private settle(id: number, error: Error | undefined): void {
    const pending = this.calls.get(id);
    if (pending === undefined) {
      return;
    }
    this.calls.delete(id);
    clearTimeout(pending.timer);
    if (error === undefined) {
      pending.resolve(pending.results);
    } else {
      pending.reject(error);
    }
  }
}

const NO_META: UidTarget = {};

function frameOf(text: string, meta: PushMeta): Frame {
  return { text, isText: meta.text === true };
}

function parse<T>(message: ClusterMessage): T {
  return JSON.parse(message.meta) as T;
}
