import { Logger } from '@nestjs/common';
import {
  type CustomTransportStrategy,
  type MessageHandler,
  Server,
} from '@nestjs/microservices';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { isObservable, lastValueFrom } from 'rxjs';
import { toErrorBody } from '../../common/errors/error-body.js';
import { IncompleteLineError } from '../../common/errors/incomplete-line.error.js';
import { InvalidMessageError } from '../../common/errors/invalid-message.error.js';
import { PushError } from '../../common/errors/push.error.js';
import { UnknownTypeError } from '../../common/errors/unknown-type.error.js';
import {
  parseObject,
  type PushMessage,
  toMessage,
} from '../../common/protocol/parse-message.js';
import { LineSplitter } from './line-splitter.js';

export interface TextTransportOptions {
  host: string;
  port: number;
  /** Longest line, in bytes. */
  maxLineBytes: number;
  /** Unread reply bytes after which a connection is closed. */
  maxReplyBacklogBytes: number;
}

/** Milliseconds shutdown gives a connection to finish its lines and flush its replies. */
const CLOSE_TIMEOUT_MS = 2000;

type ReplyId = string | number;

interface Connection {
  readonly socket: Socket;
  readonly splitter: LineSplitter;
  /** Settles when every line received so far has run. */
  idle: Promise<void>;
}

/**
 * The backends' port: one JSON object per `\n`-terminated line, dispatched by its `type` to the
 * `@MessagePattern` handler of that name. Lines of one connection run one after another, in
 * order. A line with an `id` gets exactly one reply line; a line without one is answered only
 * when it fails, so that write-only backends never need to read.
 *
 * The transport frames, dispatches and writes replies; what a command does is up to its handler.
 */
export class TextTransport extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(TextTransport.name);
  private readonly server = createServer({ allowHalfOpen: true }, (socket) =>
    this.accept(socket),
  );
  /** `net.Server#close` only stops accepting, so open connections are tracked to end them too. */
  private readonly connections = new Set<Connection>();
  private closing = false;

  constructor(private readonly options: TextTransportOptions) {
    super();
  }

  listen(callback: (error?: Error) => void): void {
    const fail = (error: Error) => callback(error);
    this.server.once('error', fail);
    this.server.listen(this.options.port, this.options.host, () => {
      this.server.off('error', fail);
      this.server.on('error', (error) => this.logger.error(error));
      callback();
    });
  }

  /** The address actually bound; port 0 in the options picks a free one. */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, lets each connection finish its lines and flush its replies, then ends it. */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) =>
      this.server.close(() => resolve()),
    );
    await Promise.all([...this.connections].map((c) => this.finish(c)));
    await stopped;
  }

  on(event: string, callback: Function): void {
    this.server.on(event, callback as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    return this.server as T;
  }

  private accept(socket: Socket): void {
    const connection: Connection = {
      socket,
      splitter: new LineSplitter(this.options.maxLineBytes),
      idle: Promise.resolve(),
    };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('end', () => this.onEnd(connection));
    socket.on('error', (error) =>
      this.logger.debug(`text connection error: ${error.message}`),
    );
    socket.on('close', () => this.connections.delete(connection));
  }

  private receive(connection: Connection, chunk: Buffer): void {
    const lines = connection.splitter.push(chunk);
    if (lines.length === 0) {
      return;
    }
    // While its lines run the socket is not read, so a backend that writes faster than its
    // lines run is slowed down by TCP instead of being buffered here.
    connection.socket.pause();
    connection.idle = connection.idle
      .then(() => this.run(connection.socket, lines))
      .then(() => {
        if (!this.closing) {
          connection.socket.resume();
        }
      });
  }

  /** The backend has sent everything: answer its last lines, then close our side too. */
  private onEnd(connection: Connection): void {
    connection.idle = connection.idle.then(() => {
      const { partialBytes } = connection.splitter;
      if (partialBytes > 0) {
        this.write(
          connection.socket,
          failure(new IncompleteLineError(partialBytes)),
        );
      }
      connection.socket.end();
    });
  }

  private async run(
    socket: Socket,
    lines: Array<string | PushError>,
  ): Promise<void> {
    for (const line of lines) {
      const reply = await this.execute(line);
      if (reply !== undefined) {
        this.write(socket, reply);
      }
    }
  }

  /** Runs one line and returns its reply line, if it gets one. */
  private async execute(line: string | PushError): Promise<string | undefined> {
    let id: ReplyId | undefined;
    try {
      if (typeof line !== 'string') {
        throw line;
      }
      if (line === '') {
        return undefined;
      }
      const fields = parseObject(line);
      id = replyId(fields);
      const message = toMessage(fields);
      const handler = this.messageHandlers.get(message.type);
      if (handler === undefined) {
        throw new UnknownTypeError(message.type);
      }
      const result = await invoke(handler, message);
      return id === undefined
        ? undefined
        : JSON.stringify({ id, ok: true, result: result ?? null });
    } catch (error) {
      if (error instanceof Error && !(error instanceof PushError)) {
        this.logger.error(error);
      }
      return failure(error, id);
    }
  }

  private write(socket: Socket, line: string): void {
    if (!socket.writable) {
      return;
    }
    socket.write(line + '\n');
    if (socket.writableLength > this.options.maxReplyBacklogBytes) {
      this.logger.warn(
        `closing text connection from ${socket.remoteAddress}: ${socket.writableLength} bytes of replies unread`,
      );
      socket.destroy();
    }
  }

  private finish(connection: Connection): Promise<void> {
    const { socket } = connection;
    socket.pause();
    return new Promise((resolve) => {
      // A backend that stops reading cannot hold the shutdown up.
      const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      void connection.idle.then(() => socket.end());
    });
  }
}

/**
 * Calls a handler the way Nest wrapped it: it resolves to the result, or to an observable that
 * emits it, or (when the handler threw) to an observable that errors with the error body.
 */
async function invoke(
  handler: MessageHandler,
  message: PushMessage,
): Promise<unknown> {
  const result: unknown = await handler(message);
  return isObservable(result)
    ? lastValueFrom(result, { defaultValue: undefined })
    : result;
}

function replyId(fields: Record<string, unknown>): ReplyId | undefined {
  const { id } = fields;
  if (
    id === undefined ||
    typeof id === 'string' ||
    (typeof id === 'number' && Number.isFinite(id))
  ) {
    return id;
  }
  throw new InvalidMessageError('"id" must be a string or a number');
}

function failure(error: unknown, id?: ReplyId): string {
  const reply = { ok: false, error: toErrorBody(error) };
  return JSON.stringify(id === undefined ? reply : { id, ...reply });
}
