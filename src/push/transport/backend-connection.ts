import type { Logger } from '@nestjs/common';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { toErrorBody } from '../../common/errors/error-body.js';
import { IncompleteLineError } from '../../common/errors/incomplete-line.error.js';
import type { PushError } from '../../common/errors/push.error.js';
import type { PushMetrics } from '../../metrics/push-metrics.service.js';
import { LineSplitter } from './line-splitter.js';
import { AUTH_TIMEOUT_MS, type TextAuth } from './text-auth.js';
import type { LineReply, Reply } from './text.transport.js';

/** Runs lines in order: the reply to write for each (see `LineReply`). */
export type LineRunner = (
  lines: Array<string | PushError>,
) => Promise<LineReply[]>;

export interface BackendConnectionOptions {
  /** Longest line, in bytes. */
  maxLineBytes: number;
  /** Unread reply bytes after which the connection is closed. */
  maxReplyBacklogBytes: number;
}

/** Milliseconds a refused connection has to read its answer before it is cut. */
const REFUSAL_GRACE_MS = 2000;

/** Bytes of received lines that may wait to run before the socket stops being read. */
const READ_AHEAD_BYTES = 1024 * 1024;
/** Replies are written together: when this many bytes are waiting, or when no line is. */
const REPLY_FLUSH_BYTES = 64 * 1024;
/** Sends waiting for acknowledgements a connection may have at once; beyond, it is not read. */
const MAX_LATE_REPLIES = 1000;

interface Batch {
  lines: Array<string | PushError>;
  bytes: number;
  /** When the chunk arrived, from `performance.now()`. */
  arrived: number;
}

/**
 * One backend's connection to the text port: splits what it sends into lines, runs them one after
 * another in order, and writes the replies back in that order.
 *
 * It reads ahead (up to 1 MiB of lines) while lines run, and writes replies in batches once the
 * lines it has are done. A backend that writes and closes at once is thus read in full before any
 * reply goes out: a reply to a peer that has closed makes its kernel answer with a reset and drop
 * whatever it had not sent yet. Beyond the read-ahead, TCP holds the backend back.
 */
export class BackendConnection {
  private readonly splitter: LineSplitter;
  private readonly batches: Batch[] = [];
  private waitingBytes = 0;
  private replies: string[] = [];
  private replyBytes = 0;
  private running: Promise<void> | undefined;
  /** Replies still to come, of sends waiting for acknowledgements: the connection ends after them. */
  private late = 0;
  /** Resolves the wait of `drain` for fewer sends waiting (see MAX_LATE_REPLIES). */
  private lateRoom: (() => void) | undefined;
  /** The backend has sent everything it will send. */
  private ended = false;
  /** The server is shutting down, or refused the connection: nothing more is read. */
  private stopping = false;
  /** The first line has passed `auth`. */
  private admitted = false;
  /** Ends the wait for the `auth` line, when the port requires one. */
  private authTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: BackendConnectionOptions,
    private readonly run: LineRunner,
    private readonly auth: TextAuth,
    private readonly metrics: PushMetrics,
    private readonly logger: Logger,
  ) {
    this.splitter = new LineSplitter(options.maxLineBytes);
    if (auth.required) {
      this.authTimer = setTimeout(
        () => this.refuse(auth.timedOut()),
        AUTH_TIMEOUT_MS,
      );
      socket.once('close', () => this.settleAuth());
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.pump();
    });
    socket.on('error', (error) =>
      logger.debug(`text connection error: ${error.message}`),
    );
  }

  /**
   * Stops reading: the lines already received still run and are answered, then the connection is
   * ended. Resolves once it is closed, or after `timeoutMs` (a backend that stopped reading cannot
   * hold a shutdown up).
   */
  stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.socket.pause();
    this.pump();
    return new Promise((resolve) => {
      if (this.socket.closed) {
        return resolve();
      }
      const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private receive(chunk: Buffer): void {
    const lines = this.splitter.push(chunk);
    this.batches.push({
      lines,
      bytes: chunk.length,
      arrived: performance.now(),
    });
    this.waitingBytes += chunk.length;
    if (this.waitingBytes > READ_AHEAD_BYTES) {
      this.socket.pause();
    }
    this.pump();
  }

  private pump(): void {
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    for (
      let batch = this.batches.shift();
      batch;
      batch = this.batches.shift()
    ) {
      if (!this.admitted && !this.admit(batch)) {
        return this.refuse();
      }
      if (this.late >= MAX_LATE_REPLIES) {
        this.flush();
        await new Promise<void>((resolve) => (this.lateRoom = resolve));
      }
      // A chunk may complete no line (the middle of a long one): nothing to run. Running it
      // would also hand the transport an empty array, whose different shape made V8 throw away
      // and compile again its code for the lines.
      if (batch.lines.length > 0) {
        await this.answer(batch);
      }
      this.waitingBytes -= batch.bytes;
      this.resumeIfRoom();
    }
    if (this.ended && this.splitter.partialBytes > 0) {
      const error = new IncompleteLineError(this.splitter.partialBytes);
      this.reply(JSON.stringify({ ok: false, error: toErrorBody(error) }));
    }
    this.flush();
    this.endIfDone();
  }

  /** Reads on when the lines waiting and the sends waiting for acknowledgements allow it. */
  private resumeIfRoom(): void {
    if (
      !this.stopping &&
      this.waitingBytes <= READ_AHEAD_BYTES &&
      this.late < MAX_LATE_REPLIES
    ) {
      this.socket.resume();
    }
  }

  /** Writes a reply that comes later, out of line: the backend matches it by its `id`. */
  private awaitLate(reply: Promise<Reply | undefined>): void {
    if (++this.late >= MAX_LATE_REPLIES) {
      this.socket.pause();
    }
    void reply.then(async (late) => {
      this.late--;
      this.lateRoom?.();
      this.lateRoom = undefined;
      this.resumeIfRoom();
      if (late !== undefined) {
        this.reply(JSON.stringify(late));
      }
      // A drain under way flushes, and ends the connection, itself.
      await this.running;
      if (this.running === undefined) {
        this.flush();
        this.endIfDone();
      }
    });
  }

  /** Ends the connection once the backend has sent everything and has every reply. */
  private endIfDone(): void {
    if ((this.ended || this.stopping) && this.late === 0) {
      this.socket.end();
    }
  }

  /** Runs a batch's lines and writes their replies (a late one when it comes). */
  private async answer({ lines, arrived }: Batch): Promise<void> {
    const replies = await this.run(lines);
    this.metrics.linesDone(
      replies.length,
      (performance.now() - arrived) / 1000,
    );
    for (const reply of replies) {
      if (reply instanceof Promise) {
        this.awaitLate(reply);
      } else if (reply !== undefined) {
        this.reply(JSON.stringify(reply));
      }
    }
  }

  /**
   * Whether the connection may go on: its first non-empty line is the `auth` line (taken out of
   * the batch), or no secret is required.
   */
  private admit(batch: Batch): boolean {
    const first = batch.lines.findIndex((line) => line !== '');
    if (first === -1) {
      return true;
    }
    const verdict = this.auth.check(batch.lines[first]);
    if (verdict.reply !== undefined) {
      this.reply(JSON.stringify(verdict.reply));
    }
    if (verdict.consumed) {
      batch.lines = batch.lines.slice(first + 1);
    }
    this.admitted = verdict.ok;
    if (verdict.ok) {
      this.settleAuth();
    }
    return verdict.ok;
  }

  private settleAuth(): void {
    if (this.authTimer !== undefined) {
      clearTimeout(this.authTimer);
      this.authTimer = undefined;
      this.auth.settled();
    }
  }

  /**
   * Answers a refused connection and closes it, whether or not the backend closes its side;
   * nothing it sent runs.
   */
  private refuse(answer?: Reply): void {
    // Counted as waiting to authenticate until it is closed; its timer has nothing left to do.
    clearTimeout(this.authTimer);
    if (answer !== undefined) {
      this.reply(JSON.stringify(answer));
    }
    this.stopping = true;
    this.batches.length = 0;
    this.socket.pause();
    this.flush();
    const cut = setTimeout(() => this.socket.destroy(), REFUSAL_GRACE_MS);
    this.socket.end(() => {
      clearTimeout(cut);
      this.socket.destroy();
    });
  }

  private reply(line: string): void {
    this.replies.push(line);
    this.replyBytes += line.length + 1;
    if (this.replyBytes >= REPLY_FLUSH_BYTES) {
      this.flush();
    }
  }

  private flush(): void {
    if (this.replies.length === 0) {
      return;
    }
    const text = this.replies.join('\n') + '\n';
    this.replies = [];
    this.replyBytes = 0;
    // A backend that has gone reads no replies; its lines still ran.
    if (!this.socket.writable) {
      return;
    }
    this.socket.write(text);
    if (this.socket.writableLength > this.options.maxReplyBacklogBytes) {
      this.logger.warn(
        `closing text connection from ${this.socket.remoteAddress}: ${this.socket.writableLength} bytes of replies unread`,
      );
      this.socket.destroy();
    }
  }
}
