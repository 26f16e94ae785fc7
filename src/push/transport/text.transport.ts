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
import { readFileSync } from 'node:fs';
import {
  type AddressInfo,
  createServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { isObservable, lastValueFrom } from 'rxjs';
import { toErrorBody } from '../../common/errors/error-body.js';
import { InvalidMessageError } from '../../common/errors/invalid-message.error.js';
import { type ErrorBody, PushError } from '../../common/errors/push.error.js';
import { UnknownTypeError } from '../../common/errors/unknown-type.error.js';
import {
  asObject,
  parseObject,
  toMessage,
} from '../../common/protocol/parse-message.js';
import { SHUTDOWN_PHASE_MS } from '../../common/shutdown.js';
import { PushConfig } from '../../config/push-config.js';
import { PushMetrics } from '../../metrics/push-metrics.service.js';
import { validateMessage } from '../../common/validation/push-validation.pipe.js';
import { ConfigError } from '../../config/config.error.js';
import { AckTracker } from '../../history/ack-tracker.service.js';
import { Receipt } from '../receipt.js';
import { BackendConnection } from './backend-connection.js';
import { TextAuth } from './text-auth.js';
import { TEXT_TRANSPORT } from './text-transport-id.js';
import type { BatchedExtras } from './batched.js';

type ReplyId = string | number;

/**
 * The answer to one command, as both of its doors (the text port, HTTP) give it. A send to uids
 * that was kept for a uid without a connection says so (`buffered`), and one that waited for
 * acknowledgements says how many came (`acked`).
 */
export type Reply =
  | {
      id?: ReplyId;
      ok: true;
      result: unknown;
      buffered?: number;
      acked?: number;
    }
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
  override readonly transportId = TEXT_TRANSPORT;
  private readonly server: NetServer;
  private readonly auth: TextAuth;

  /** `net.Server#close` only stops accepting, so open connections are tracked to end them too. */
  private readonly connections = new Set<BackendConnection>();
  private closed: Promise<void> | undefined;

  constructor(
    private readonly config: PushConfig,
    private readonly metrics: PushMetrics,
    private readonly acks: AckTracker,
  ) {
    super();
    this.auth = new TextAuth(config.textSecret);
    const accept = (socket: Socket) => this.accept(socket);
    this.server =
      config.textTlsCert === ''
        ? createServer({ allowHalfOpen: true }, accept)
        : createTlsServer(
            {
              allowHalfOpen: true,
              cert: readSetting(config.textTlsCert, 'PUSH_TEXT_TLS_CERT'),
              key: readSetting(config.textTlsKey, 'PUSH_TEXT_TLS_KEY'),
            },
            accept,
          );
  }

  listen(callback: (error?: Error) => void): void {
    // An application that starts all its microservices after `startPushgate` starts this one again.
    if (this.server.listening) {
      return callback();
    }
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

  private accept(socket: Socket): void {
    if (!this.auth.accepts()) {
      this.logger.debug(
        `dropped a text connection from ${socket.remoteAddress}: too many waiting to authenticate`,
      );
      socket.destroy();
      return;
    }
    const connection = new BackendConnection(
      socket,
      this.config,
      (lines) => this.runLines(lines),
      this.auth,
      this.metrics,
      this.logger,
    );
    this.connections.add(connection);
    this.metrics.textConnectionOpened();
    socket.once('close', () => {
      this.connections.delete(connection);
      this.metrics.textConnectionClosed();
    });
  }

  private async stop(): Promise<void> {
    this.server.close();
    // Sends waiting for acknowledgements answer now, with what came, instead of holding the drain.
    this.acks.endAll();
    await Promise.all(
      [...this.connections].map((connection) =>
        connection.stop(SHUTDOWN_PHASE_MS),
      ),
    );
  }

  /**
   * Runs one command, decoded already: a command posted over HTTP. Never throws: a failure is a
   * reply.
   */
  async runCommand(command: unknown): Promise<Reply> {
    let parsed: Parsed;
    try {
      parsed = { fields: asObject(command) };
    } catch (error) {
      parsed = { failure: error };
    }
    return (await (
      await this.run([parsed], false)
    )[0])!;
  }

  /**
   * Runs a connection's lines, in order: the reply to write for each, undefined for none (an
   * empty line, or a success without `id`: write-only backends never need to read). A send that
   * waits for acknowledgements gives a promise of its reply: the lines after it need not wait.
   */
  runLines(lines: Array<string | PushError>): Promise<LineReply[]> {
    // Not `lines.map`: its array had holes allowed or not depending on whether V8 had compiled
    // the caller, and each change of kind made V8 discard and compile `runBatch` again.
    const commands: Parsed[] = [];
    for (const line of lines) {
      commands.push(parseLine(line));
    }
    return this.run(commands, true);
  }

  /**
   * Runs commands one after another; a run of consecutive commands of one batched handler (see
   * `batched`) goes to it in one call. With `silent`, a success without `id` has no reply.
   */
  private async run(commands: Parsed[], silent: boolean): Promise<LineReply[]> {
    const replies: LineReply[] = [];
    for (let start = 0; start < commands.length;) {
      const first = commands[start];
      const handler =
        first !== undefined && 'fields' in first
          ? this.handlerOf(first.fields)
          : undefined;
      const batchOf = (handler?.extras as Partial<BatchedExtras> | undefined)
        ?.batchOf;
      let end = start + 1;
      if (batchOf !== undefined) {
        const type = typeOf(first);
        while (end < commands.length && typeOf(commands[end]) === type) {
          end++;
        }
      }
      const batch = commands.slice(start, end);
      replies.push(...(await this.runBatch(batch, handler, batchOf, silent)));
      start = end;
    }
    return replies;
  }

  /** Commands of one type (a single one, unless its handler is batched) through its handler. */
  private async runBatch(
    commands: Parsed[],
    handler: MessageHandler | undefined,
    batchOf: BatchedExtras['batchOf'] | undefined,
    silent: boolean,
  ): Promise<LineReply[]> {
    const replies: LineReply[] = [];
    const accepted: Array<{ slot: number; id?: ReplyId; payload: unknown }> =
      [];
    for (const command of commands) {
      let id: ReplyId | undefined;
      try {
        if (command === undefined) {
          replies.push(undefined);
          continue;
        }
        if ('failure' in command) {
          throw command.failure;
        }
        id = replyId(command.fields);
        const message = toMessage(command.fields);
        this.metrics.commandReceived(
          handler === undefined ? 'unknown' : message.type,
        );
        if (handler === undefined) {
          throw new UnknownTypeError(message.type);
        }
        const payload =
          batchOf === undefined ? message : validateMessage(batchOf, message);
        accepted.push({ slot: replies.push(undefined) - 1, id, payload });
      } catch (error) {
        replies.push(this.failure(error, id));
      }
    }
    if (accepted.length === 0) {
      return replies;
    }
    let results: unknown[] | undefined;
    let failure: unknown;
    try {
      results =
        batchOf === undefined
          ? [await invoke(handler!, accepted[0].payload)]
          : ((await invoke(
              handler!,
              accepted.map(({ payload }) => payload),
            )) as unknown[]);
    } catch (error) {
      failure = error;
    }
    accepted.forEach(({ slot, id }, index) => {
      const result = results === undefined ? failure : (results[index] ?? null);
      replies[slot] =
        result instanceof Promise
          ? result.then(
              (late: unknown) => this.answer(late, id, silent),
              (error: unknown) => this.failure(error, id),
            )
          : results === undefined
            ? this.failure(result, id)
            : this.answer(result, id, silent);
    });
    return replies;
  }

  /** The reply to a command's result: none for a success without `id` when `silent`. */
  private answer(
    result: unknown,
    id: ReplyId | undefined,
    silent: boolean,
  ): Reply | undefined {
    if (result instanceof Error) {
      return this.failure(result, id);
    }
    return id !== undefined || !silent ? success(id, result) : undefined;
  }

  /** The handler of a command's `type`, if it names one. */
  private handlerOf(
    fields: Record<string, unknown>,
  ): MessageHandler | undefined {
    // Looked up directly: Server#getHandlerByPattern JSON-parses every pattern (and throws for
    // a plain string), which costs a few microseconds per line.
    return typeof fields.type === 'string'
      ? this.messageHandlers.get(fields.type)
      : undefined;
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

function success(id: ReplyId | undefined, result: unknown): Reply {
  if (!(result instanceof Receipt)) {
    return id === undefined ? { ok: true, result } : { id, ok: true, result };
  }
  const { connections, buffered, acked } = result;
  const reply = {
    ok: true as const,
    result: connections,
    buffered: buffered > 0 ? buffered : undefined,
    acked,
  };
  return id === undefined ? reply : { id, ...reply };
}

/** The reply to one line: none, one now, or one later (a send waiting for acknowledgements). */
export type LineReply = Reply | undefined | Promise<Reply | undefined>;

/** A line or command, decoded into an object, or what stopped it; undefined for an empty line. */
type Parsed =
  { fields: Record<string, unknown> } | { failure: unknown } | undefined;

function parseLine(line: string | PushError): Parsed {
  if (line === '') {
    return undefined;
  }
  try {
    if (typeof line !== 'string') {
      throw line;
    }
    return { fields: parseObject(line) };
  } catch (error) {
    return { failure: error };
  }
}

function typeOf(command: Parsed): unknown {
  return command !== undefined && 'fields' in command
    ? command.fields.type
    : undefined;
}

/**
 * Calls a handler the way Nest wrapped it: it resolves to the result, or to an observable of it,
 * or (when the handler threw) to an observable that errors with the error body.
 */
async function invoke(
  handler: MessageHandler,
  payload: unknown,
): Promise<unknown> {
  const result: unknown = await handler(payload);
  return isObservable(result)
    ? lastValueFrom(result, { defaultValue: undefined })
    : result;
}

/** A file a setting names, or a start-up error naming the setting. */
function readSetting(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([
      `${variable}="${path}" cannot be read: ${(error as Error).message}`,
    ]);
  }
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
