import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
} from '@nestjs/common';
import {
  type CustomTransportStrategy,
  type MessageHandler,
  Server,
} from '@nestjs/microservices';
import { type AddressInfo, createServer } from 'node:net';
import { isObservable, lastValueFrom } from 'rxjs';
import { toErrorBody } from '../../common/errors/error-body.js';
import { InvalidMessageError } from '../../common/errors/invalid-message.error.js';
import { type ErrorBody, PushError } from '../../common/errors/push.error.js';
import { UnknownTypeError } from '../../common/errors/unknown-type.error.js';
import {
  asObject,
  parseObject,
  type PushMessage,
  toMessage,
} from '../../common/protocol/parse-message.js';
import { SHUTDOWN_PHASE_MS } from '../../common/shutdown.js';
import { PushConfig } from '../../config/push-config.js';
import { PushMetrics } from '../../metrics/push-metrics.service.js';
import { BackendConnection } from './backend-connection.js';

type ReplyId = string | number;

/** The answer to one command, as both of its doors (the text port, HTTP) give it. */
export type Reply =
  | { id?: ReplyId; ok: true; result: unknown }
  | { id?: ReplyId; ok: false; error: ErrorBody };

/**
 * The backends' port: one JSON object per `\n`-terminated line, dispatched by its `type` to the
 * `@MessagePattern` handler of that name. A line with an `id` gets exactly one reply line; a line
 * without one is answered only when it fails, so that write-only backends never need to read.
 *
 * The transport dispatches and formats replies; `BackendConnection` frames and orders each
 * connection's lines; what a command does is up to its handler. It is a provider so that it can
 * stop before the WebSockets do on shutdown: the lines already received still reach browsers.
 */
@Injectable()
export class TextTransport
  extends Server
  implements CustomTransportStrategy, BeforeApplicationShutdown
{
  protected override readonly logger = new Logger(TextTransport.name);
  private readonly server = createServer({ allowHalfOpen: true }, (socket) => {
    const connection = new BackendConnection(
      socket,
      this.config,
      (line) => this.execute(line),
      this.metrics,
      this.logger,
    );
    this.connections.add(connection);
    this.metrics.textConnectionOpened();
    socket.once('close', () => {
      this.connections.delete(connection);
      this.metrics.textConnectionClosed();
    });
  });
  /** `net.Server#close` only stops accepting, so open connections are tracked to end them too. */
  private readonly connections = new Set<BackendConnection>();
  private closed: Promise<void> | undefined;

  constructor(
    private readonly config: PushConfig,
    private readonly metrics: PushMetrics,
  ) {
    super();
  }

  listen(callback: (error?: Error) => void): void {
    const fail = (error: Error) => callback(error);
    this.server.once('error', fail);
    this.server.listen(this.config.textPort, this.config.textHost, () => {
      this.server.off('error', fail);
      this.server.on('error', (error) => this.logger.error(error));
      callback();
    });
  }

  /** The address actually bound; port 0 picks a free one. */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, lets each connection run the lines it has sent and get the replies, ends it. */
  close(): Promise<void> {
    this.closed ??= this.stop();
    return this.closed;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  on(event: string, callback: Function): void {
    this.server.on(event, callback as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    return this.server as T;
  }

  private async stop(): Promise<void> {
    this.server.close();
    await Promise.all(
      [...this.connections].map((connection) =>
        connection.stop(SHUTDOWN_PHASE_MS),
      ),
    );
  }

  /**
   * Runs one command, decoded already, through its `@MessagePattern` handler: the same path for a
   * line of the text port and a command posted over HTTP. Never throws: a failure is a reply.
   */
  async runCommand(command: unknown): Promise<Reply> {
    let id: ReplyId | undefined;
    try {
      const fields = asObject(command);
      id = replyId(fields);
      const message = toMessage(fields);
      // Looked up directly: Server#getHandlerByPattern JSON-parses every pattern (and throws
      // for a plain string), which costs a few microseconds per line.
      const handler = this.messageHandlers.get(message.type);
      this.metrics.commandReceived(
        handler === undefined ? 'unknown' : message.type,
      );
      if (handler === undefined) {
        throw new UnknownTypeError(message.type);
      }
      const result = (await invoke(handler, message)) ?? null;
      return id === undefined ? { ok: true, result } : { id, ok: true, result };
    } catch (error) {
      return this.failure(error, id);
    }
  }

  /** Runs one line and returns its reply line, if it gets one. */
  private async execute(line: string | PushError): Promise<string | undefined> {
    if (line === '') {
      return undefined;
    }
    let reply: Reply;
    try {
      if (typeof line !== 'string') {
        throw line;
      }
      reply = await this.runCommand(parseObject(line));
    } catch (error) {
      reply = this.failure(error);
    }
    return reply.ok && reply.id === undefined
      ? undefined
      : JSON.stringify(reply);
  }

  private failure(error: unknown, id?: ReplyId): Reply {
    if (error instanceof Error && !(error instanceof PushError)) {
      this.logger.error(error);
    }
    const body = toErrorBody(error);
    this.metrics.errorAnswered(body.code);
    return id === undefined
      ? { ok: false, error: body }
      : { id, ok: false, error: body };
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
