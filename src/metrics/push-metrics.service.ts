import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { BatchHistogram } from './batch-histogram.js';

/** What the metrics read of the kept pushes. */
interface HistoryStats {
  readonly stats: { uids: number; pending: number; bytes: number };
}

/** Seconds from a line's arrival on the text port to its handler's end, for a local push the moment it is written. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  1,
];

/**
 * Pushgate's Prometheus metrics, in a registry of its own (so that two servers in one process do
 * not mix). Counting on the hot path is a plain increment; prom-client reads the counts when it
 * is scraped.
 */
@Injectable()
export class PushMetrics {
  readonly registry = new Registry();
  private readonly received = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private readonly refusedUpgrades = new Map<string, number>();
  private readonly bufferDrops = new Map<string, number>();
  private history: HistoryStats | undefined;
  private delivered = 0;
  private bytesOut = 0;
  private slowConsumerCloses = 0;
  private heartbeatCloses = 0;
  private rateLimitCloses = 0;
  private textConnections = 0;
  private readonly latency: BatchHistogram;

  constructor(registry: UidRegistry) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    gauge(
      registers,
      'pushgate_connections',
      'Open WebSocket connections.',
      () => registry.clientCount,
    );
    gauge(
      registers,
      'pushgate_uids',
      'Uids with at least one connection.',
      () => registry.uidCount,
    );
    gauge(
      registers,
      'pushgate_groups',
      'Groups with at least one member.',
      () => count(registry.allGroups()),
    );
    gauge(
      registers,
      'pushgate_text_connections',
      'Open text-port connections.',
      () => this.textConnections,
    );
    counter(
      registers,
      'pushgate_messages_received_total',
      'Commands received, text port and HTTP, by type.',
      this.received,
      'type',
    );
    counter(
      registers,
      'pushgate_errors_total',
      'Errors answered, both protocols, by code.',
      this.errors,
      'code',
    );
    counter(
      registers,
      'pushgate_messages_delivered_total',
      'Messages written to WebSockets (one per connection).',
      () => this.delivered,
    );
    counter(
      registers,
      'pushgate_bytes_out_total',
      'Bytes of messages written to WebSockets, frame headers excluded.',
      () => this.bytesOut,
    );
    counter(
      registers,
      'pushgate_slow_consumer_closes_total',
      'WebSockets closed (1013) for not reading.',
      () => this.slowConsumerCloses,
    );
    counter(
      registers,
      'pushgate_heartbeat_closes_total',
      'WebSockets closed (4408) for silence.',
      () => this.heartbeatCloses,
    );
    counter(
      registers,
      'pushgate_rate_limit_closes_total',
      'WebSockets closed (1008) for sending too fast after a warning.',
      () => this.rateLimitCloses,
    );
    counter(
      registers,
      'pushgate_upgrades_refused_total',
      'WebSocket upgrades refused (403, 503), by reason.',
      this.refusedUpgrades,
      'reason',
    );
    gauge(
      registers,
      'pushgate_buffered_messages',
      'Pushes kept for uids without a connection, not received by anyone yet (single-node mode; a cluster keeps them in Redis).',
      () => this.history?.stats.pending ?? 0,
    );
    gauge(
      registers,
      'pushgate_history_bytes',
      'Bytes of the pushes kept (offline buffer and recovery history; single-node mode, see P:history-bytes in Redis for a cluster).',
      () => this.history?.stats.bytes ?? 0,
    );
    gauge(
      registers,
      'pushgate_history_uids',
      'Uids with pushes kept, or followed by a recovering connection (single-node mode).',
      () => this.history?.stats.uids ?? 0,
    );
    counter(
      registers,
      'pushgate_buffer_dropped_total',
      'Pushes dropped before anyone received them, by reason (expired, uid_limit, bytes_limit; single-node mode).',
      this.bufferDrops,
      'reason',
    );
    this.latency = new BatchHistogram(
      'pushgate_push_latency_seconds',
      'From a line arriving on the text port to its command done (a local push: written to the sockets).',
      LATENCY_BUCKETS,
      registers,
    );
  }

  commandReceived(type: string): void {
    this.received.set(type, (this.received.get(type) ?? 0) + 1);
  }

  errorAnswered(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  messagesDelivered(count: number, frameBytes: number): void {
    this.delivered += count;
    this.bytesOut += count * frameBytes;
  }

  slowConsumerClosed(): void {
    this.slowConsumerCloses++;
  }

  heartbeatClosed(): void {
    this.heartbeatCloses++;
  }

  /** Reads the kept pushes' counts from `history` when scraped. */
  watchHistory(history: HistoryStats): void {
    this.history = history;
  }

  bufferDropped(reason: string): void {
    this.bufferDrops.set(reason, (this.bufferDrops.get(reason) ?? 0) + 1);
  }

  rateLimitClosed(): void {
    this.rateLimitCloses++;
  }

  upgradeRefused(reason: string): void {
    this.refusedUpgrades.set(
      reason,
      (this.refusedUpgrades.get(reason) ?? 0) + 1,
    );
  }

  textConnectionOpened(): void {
    this.textConnections++;
  }

  textConnectionClosed(): void {
    this.textConnections--;
  }

  /** `lines` lines that arrived together are done, `secondsSinceArrival` after they arrived. */
  linesDone(lines: number, secondsSinceArrival: number): void {
    this.latency.observe(secondsSinceArrival, lines);
  }
}

function gauge(
  registers: Registry[],
  name: string,
  help: string,
  read: () => number,
) {
  return new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

/** A counter read from a plain number, or from a map of counts by one label. */
function counter(
  registers: Registry[],
  name: string,
  help: string,
  read: (() => number) | Map<string, number>,
  label?: string,
) {
  return new Counter({
    name,
    help,
    registers,
    labelNames: label === undefined ? [] : [label],
    collect() {
      this.reset();
      if (typeof read === 'function') {
        this.inc(read());
      } else {
        for (const [value, n] of read) {
          this.inc({ [label!]: value }, n);
        }
      }
    },
  });
}

function count(items: Iterable<unknown>): number {
  let n = 0;
  for (const _ of items) {
    n++;
  }
  return n;
}
