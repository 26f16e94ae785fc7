import type { MessageMappingProperties } from '@nestjs/websockets';
import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CloseCode } from '../common/protocol/close-code.js';
import { type BatchWriter, joinBatch } from '../common/write-batch.js';
import type { PushEvents } from '../events/push-events.service.js';
import type { PushMetrics } from '../metrics/push-metrics.service.js';
import type { Client, ClientSocket } from '../registry/client.js';
import type { PushConfig } from '../config/push-config.js';
import type { PushService } from '../push/push.service.js';
import type { UidRegistry } from '../registry/uid-registry.service.js';
import type { ConnectionGate } from './connection-gate.service.js';
import { textFrame } from './text-frame.js';

/** What is kept of the HTTP request that opened a WebSocket: enough to decide about the connection. */
export interface Handshake {
  /** Path and query, e.g. `/?token=...`. */
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
}

/** A gateway's handler as Nest binds it to one socket: it takes the message and its type. */
export type MessageHandler = MessageMappingProperties['callback'];

/** What every socket of one server shares; one reference per socket. */
export interface SocketContext {
  /** Where each socket's client is registered; it is forgotten there the moment the server closes it. */
  registry: UidRegistry;
  events: PushEvents;
  metrics: PushMetrics;
  /** Who may connect; told of every connection that closes. */
  gate: ConnectionGate;
  config: PushConfig;
  push: PushService;
}

/** The server side of one browser connection: a `ws` socket plus what Pushgate keeps per connection. */
export class PushSocket extends WebSocket implements ClientSocket, BatchWriter {
  /** Set by the gateway when the connection opens. */
  context!: SocketContext;
  /** Its registry entry, set by the gateway when the connection opens. */
  client!: Client;
  /** The request that opened it, kept only when a `BindGuard` will want it. */
  handshake: Handshake | undefined = undefined;
  /** The TCP socket under the WebSocket, from the upgrade request. */
  tcp!: Duplex;
  /** The remote address, kept when connections are counted per address. */
  address: string | undefined = undefined;
  /** When its allowance of messages is full again (see `RateLimit`), on `performance.now()`'s clock. */
  messagesFullAt = 0;
  /** When its allowance of `init`s is full again. */
  initsFullAt = 0;
  /** Warned for going over the message rate, and not back under it for long enough since. */
  warned = false;
  /** Refused bindings in a row. */
  refusals = 0;
  /** Heartbeat sweeps since the client last sent anything. */
  silentSweeps = 0;
  /** The message handlers of every gateway on this server, bound to this socket; see the adapter. */
  handlers: MessageHandler[] | undefined = undefined;
  /** Settles when every frame received so far has been handled. */
  handled: Promise<void> = SETTLED;
  /** Frames received and not handled yet. */
  waiting = 0;
  /** Unsent bytes a backlog put over the limit: allowed until the client has read down to it. */
  excess = 0;
  /**
   * Its frames while a batch of pushes is under way (see `inOneWrite`), to be written together
   * when it ends: the first alone, then an array of all. Undefined outside of a batch.
   */
  held: Buffer | Buffer[] | undefined = undefined;
  /**
   * EventEmitter's table of listeners, preset with the four events every socket listens to (see
   * the adapter and the gateway). EventEmitter starts it as `{ __proto__: null }`, which V8 keeps
   * as a hash table: 277 bytes per socket with these four listeners, and a hash lookup per event;
   * preset, it is an object of one small shape (56 bytes), as Node's own streams preset theirs.
   * What it costs: `eventNames()` lists all four once any listener is added, and the names of
   * `Object.prototype` (`toString`, ...) must not be used as events; Pushgate uses neither.
   */
  _events: Record<string, unknown> = {
    error: undefined,
    message: undefined,
    ping: undefined,
    close: undefined,
  };

  /**
   * `ws`'s table of the extensions a connection negotiated, which it gives each socket as an
   * empty object of its own (56 bytes). Pushgate's server offers none, so every socket shares this
   * one; `ws` replaces the table, never fills it, when an extension is negotiated.
   */
  _extensions: Record<string, unknown> = NO_EXTENSIONS;

  /**
   * Sends one text message. A client that does not read fast enough is closed (1013) instead of
   * making the server buffer for it without limit.
   */
  push(text: string): void {
    if (this.readyState !== WebSocket.OPEN) {
      return;
    }
    // One ready frame per message, written whole: `ws` itself writes only control frames (pong,
    // close) to the TCP socket, each whole too, so frames never interleave.
    const frame = textFrame(text);
    // Within a batch of pushes, the connection's frames wait to go out together when it ends.
    if (this.held === undefined && !joinBatch(this)) {
      this.tcp.write(frame);
      this.checkUnsent();
    } else {
      this.hold(frame);
    }
  }

  /**
   * Keeps a frame until the batch under way ends. Held here rather than in a corked TCP socket:
   * most connections get one frame in a batch, and one frame is then written as if there had
   * been no batch, without the stream's queue.
   */
  private hold(frame: Buffer): void {
    const held = this.held;
    if (held === undefined) {
      this.held = frame;
    } else if (Array.isArray(held)) {
      held.push(frame);
    } else {
      this.held = [held, frame];
    }
  }

  /**
   * The batch its pushes waited for has ended: they go out in one write, and are judged by the
   * slow-consumer limit once written. If the kernel does not take all of it at once, all of it
   * counts as unsent until it does.
   */
  release(): void {
    if (this.readyState !== WebSocket.OPEN) {
      // Terminated while the batch ran: there is no one left to write to.
      this.held = undefined;
    } else if (this.writeHeld()) {
      this.checkUnsent();
    }
  }

  /** Writes the frames held for the batch under way, if any, in one write. */
  private writeHeld(): boolean {
    const held = this.held;
    if (held === undefined) {
      return false;
    }
    this.held = undefined;
    this.tcp.write(Array.isArray(held) ? Buffer.concat(held) : held);
    return true;
  }

  /**
   * Writes what the connection is owed on binding (kept pushes) whole: it is not judged by the
   * slow-consumer limit, which applies to what comes after it, beyond what it put over.
   */
  pushBacklog(texts: readonly string[]): void {
    if (this.readyState !== WebSocket.OPEN) {
      return;
    }
    // In one write, as a batch of pushes is.
    this.tcp.cork();
    for (const text of texts) {
      this.tcp.write(textFrame(text));
    }
    this.tcp.uncork();
    this.excess = Math.max(
      0,
      this.tcp.writableLength - this.context.config.maxBufferedBytes,
    );
  }

  /** Answers a ping, as `ws` would, but as a write that counts towards the unsent limit. */
  answerPing(data: Buffer): void {
    if (this.readyState === WebSocket.OPEN) {
      this.pong(data);
      this.checkUnsent();
    }
  }

  /** Closes a client that lets more than `PUSH_MAX_BUFFERED_BYTES` pile up unsent (1013). */
  private checkUnsent(): void {
    const unsent = this.tcp.writableLength;
    const limit = this.context.config.maxBufferedBytes;
    if (unsent <= limit) {
      this.excess = 0;
    } else if (unsent > limit + this.excess) {
      this.context.metrics.slowConsumerClosed();
      this.close(
        CloseCode.TryAgainLater,
        'too slow: unsent data over the limit',
      );
    }
  }

  /**
   * Closing is final at once: the connection leaves the registry now, so that nothing counts it
   * online or sends to it while the close handshake runs.
   */
  override close(code?: number, reason?: string | Buffer): void {
    this.context?.registry.remove(this.client);
    // What was pushed before the close goes out before its close frame.
    if (this.readyState === WebSocket.OPEN) {
      this.writeHeld();
    }
    super.close(code, reason);
  }
}

const NO_EXTENSIONS = Object.freeze({});

/** The `handled` of a socket with no frame waiting. */
export const SETTLED = Promise.resolve();
