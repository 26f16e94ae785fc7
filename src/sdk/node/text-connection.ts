import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { backoffDelay } from '../backoff.js';
import { ClientErrorCode, PushClientError } from './push-client-error.js';

export type ConnectionState =
  'connecting' | 'connected' | 'disconnected' | 'closed';

export interface TextConnectionOptions {
  host: string;
  port: number;
  timeoutMs: number;
  minReconnectDelayMs: number;
  maxReconnectDelayMs: number;
  maxQueuedRequests: number;
  /** Sent first on every connection (`{"type":"auth","secret":...}`) when set. */
  secret: string | undefined;
  /** TLS options (`ca`, `servername`, ...), or true for the defaults; the port is plain TCP when unset. */
  tls: ConnectionOptions | boolean | undefined;
}

/** A successful reply, with the fields some commands add beside `result`. */
export interface SuccessReply {
  id?: number;
  ok: true;
  result: unknown;
  buffered?: number;
  acked?: number;
}

interface Request {
  readonly id: number;
  readonly line: string;
  readonly resolve: (reply: SuccessReply) => void;
  readonly reject: (error: PushClientError) => void;
  readonly timer: NodeJS.Timeout;
  /** Timed out (or failed) already; a reply that comes later is only taken off the list. */
  settled: boolean;
  /** Answered when its wait ends (a send waiting for acknowledgements), after later lines. */
  readonly late: boolean;
}

/** The server's error code for a wrong secret. */
const UNAUTHORIZED = 'unauthorized';

/** Longest reply line accepted, in characters; a server sending more is not a Pushgate. */
const MAX_REPLY_LENGTH = 64 * 1024 * 1024;

type Reply =
  | SuccessReply
  | { id?: number; ok: false; error: { code: string; message: string } };

/**
 * One persistent connection to a Pushgate text port. Each request is written as a line with a
 * fresh `id` and settled by the reply that carries it. While the server is away, requests wait
 * (at most `maxQueuedRequests` of them, each at most `timeoutMs`) and the connection is retried
 * with backoff; requests already written when it drops fail with `connection_lost`, since they
 * may or may not have run. Emits `state` on every change.
 */
export class TextConnection extends EventEmitter<{ state: [ConnectionState] }> {
  private current: ConnectionState = 'connecting';
  private socket: Socket | undefined;
  /** Not written yet: no connection, or the socket asked to wait for `drain`. */
  private readonly waiting: Request[] = [];
  /** Written and not answered, oldest first: the server answers in this order. */
  private readonly written = new Map<number, Request>();
  private nextId = 1;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private blocked = false;
  private received = '';
  /** Why the connection was dropped on purpose: the peer does not speak the protocol, say. */
  private dropped: PushClientError | undefined;
  /** Why the client closed itself: what later requests fail with. */
  private closedWith = new PushClientError(
    ClientErrorCode.Closed,
    'the client is closed',
  );

  constructor(protected readonly options: TextConnectionOptions) {
    super();
    this.open();
  }

  /** Runs any command, `type` plus its fields, and resolves to the reply's `result`. */
  async request<T = unknown>(type: string, fields: object = {}): Promise<T> {
    return (await this.exchange(type, fields)).result as T;
  }

  /**
   * Runs any command and resolves to its whole reply, failing after `timeoutMs` (default the
   * client's). `late`: the server answers it when it is done waiting (`"ack":true`), after the
   * lines written after it.
   */
  exchange(
    type: string,
    fields: object = {},
    timeoutMs = this.options.timeoutMs,
    late = (fields as { ack?: unknown }).ack === true,
  ): Promise<SuccessReply> {
    if (this.state === 'closed') {
      return Promise.reject(this.closedWith);
    }
    if (this.waiting.length >= this.options.maxQueuedRequests) {
      return Promise.reject(
        new PushClientError(
          ClientErrorCode.QueueFull,
          `${this.waiting.length} requests are already waiting to be sent`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.push({
        id,
        line: JSON.stringify({ ...fields, type, id }) + '\n',
        resolve,
        reject,
        timer: setTimeout(() => this.expire(id, timeoutMs), timeoutMs),
        settled: false,
        late,
      });
      this.flush();
    });
  }

  /**
   * Stops reconnecting and fails the requests not sent yet. Those already sent still get their
   * replies, which the server writes before it closes its side, for at most `timeoutMs`.
   * Resolves once the socket is closed.
   */
  close(): Promise<void> {
    this.stop(
      new PushClientError(ClientErrorCode.Closed, 'the client was closed'),
    );
    const { socket } = this;
    if (socket === undefined) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      if (socket.connecting || this.written.size === 0) {
        socket.destroy();
      } else {
        socket.end();
        setTimeout(() => socket.destroy(), this.options.timeoutMs).unref();
      }
    });
  }

  /** Stops reconnecting and fails the requests not sent yet with `reason`. */
  private stop(reason: PushClientError): void {
    if (this.state !== 'closed') {
      this.closedWith = reason;
      this.setState('closed');
      clearTimeout(this.reconnectTimer);
      this.waiting.splice(0).forEach((request) => this.fail(request, reason));
    }
  }

  private open(): void {
    this.setState('connecting');
    const { host, port, tls } = this.options;
    const socket =
      tls === undefined || tls === false
        ? connect(port, host)
        : connectTls({ host, port, ...(tls === true ? {} : tls) });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on(tls ? 'secureConnect' : 'connect', () => {
      this.attempt = 0;
      this.authenticate();
      this.setState('connected');
      this.flush();
    });
    socket.on('data', (text: string) => this.receive(text));
    socket.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
    // A failed connect or a reset is followed by `close`, where it is handled.
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose());
  }

  /**
   * Writes the `auth` line ahead of any request. The server answers it in order like any line; a
   * refusal closes the client, since a wrong secret stays wrong however often it is retried.
   */
  private authenticate(): void {
    const { secret, timeoutMs } = this.options;
    if (secret === undefined) {
      return;
    }
    const id = this.nextId++;
    this.written.set(id, {
      id,
      line: '',
      resolve: () => undefined,
      reject: (error) => {
        if (error.code === UNAUTHORIZED) {
          this.stop(error);
        }
        if (error.code !== ClientErrorCode.ConnectionLost) {
          this.drop(error);
        }
      },
      timer: setTimeout(() => this.expire(id), timeoutMs),
      settled: false,
      late: false,
    });
    this.socket!.write(JSON.stringify({ type: 'auth', secret, id }) + '\n');
  }

  private onClose(): void {
    this.socket = undefined;
    this.blocked = false;
    this.received = '';
    const lost =
      this.dropped ??
      new PushClientError(
        ClientErrorCode.ConnectionLost,
        'the connection dropped before the reply came; the command may or may not have run',
      );
    this.dropped = undefined;
    [...this.written.values()].forEach((request) => this.fail(request, lost));
    this.written.clear();
    if (this.state === 'closed') {
      return;
    }
    this.setState('disconnected');
    this.reconnectTimer = setTimeout(
      () => this.open(),
      backoffDelay(
        this.attempt++,
        this.options.minReconnectDelayMs,
        this.options.maxReconnectDelayMs,
      ),
    );
  }

  private flush(): void {
    while (
      this.state === 'connected' &&
      !this.blocked &&
      this.waiting.length > 0
    ) {
      const request = this.waiting.shift()!;
      this.written.set(request.id, request);
      this.blocked = !this.socket!.write(request.line);
    }
  }

  private receive(text: string): void {
    const lines = (this.received + text).split('\n');
    this.received = lines.pop()!;
    if (this.received.length > MAX_REPLY_LENGTH) {
      return this.abandon(
        `a reply line longer than ${MAX_REPLY_LENGTH} characters`,
      );
    }
    for (const line of lines) {
      const reply = parseReply(line);
      if (reply === undefined) {
        return this.abandon(`the line ${JSON.stringify(line.slice(0, 64))}`);
      }
      this.settle(reply);
    }
  }

  /** The peer is not speaking the protocol: drop it, and fail what was written to it. */
  private abandon(what: string): void {
    this.drop(
      new PushClientError(
        ClientErrorCode.BadReply,
        `${this.options.host}:${this.options.port} sent ${what}, which is not a Pushgate reply`,
      ),
    );
  }

  /** Ends the connection; what was written to it fails with `reason`. */
  private drop(reason: PushClientError): void {
    this.dropped = reason;
    this.socket?.destroy();
  }

  private settle(reply: Reply): void {
    // A reply without an id answers a line the server could not even read (a line too long);
    // since the server answers in order, but for the late ones, that is the oldest one written
    // that is not late. Requests that timed out stay on the list until their reply, so that this
    // stays true.
    const request =
      reply.id === undefined
        ? oldestInLine(this.written.values())
        : this.written.get(reply.id);
    if (request === undefined) {
      return;
    }
    this.written.delete(request.id);
    if (reply.ok) {
      clearTimeout(request.timer);
      request.settled = true;
      request.resolve(reply);
    } else {
      this.fail(
        request,
        new PushClientError(reply.error.code, reply.error.message),
      );
    }
  }

  private expire(id: number, timeoutMs = this.options.timeoutMs): void {
    const request =
      this.written.get(id) ?? this.waiting.find((waiting) => waiting.id === id);
    if (request !== undefined) {
      this.fail(
        request,
        new PushClientError(
          ClientErrorCode.Timeout,
          `no reply within ${timeoutMs} ms (${this.state})`,
        ),
      );
    }
  }

  /** Rejects the request once; a written one stays listed until its reply comes. */
  private fail(request: Request, error: PushClientError): void {
    clearTimeout(request.timer);
    const index = this.waiting.indexOf(request);
    if (index !== -1) {
      this.waiting.splice(index, 1);
    }
    if (!request.settled) {
      request.settled = true;
      request.reject(error);
    }
  }

  /** Where the connection stands; every change is also emitted as `state`. */
  get state(): ConnectionState {
    return this.current;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.emit('state', state);
  }
}

/** A reply line, or undefined for anything else. */
function parseReply(line: string): Reply | undefined {
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof reply !== 'object' || reply === null) {
    return undefined;
  }
  const { ok, error } = reply as {
    ok?: unknown;
    error?: { code?: unknown; message?: unknown };
  };
  if (ok === true) {
    return reply as Reply;
  }
  return ok === false &&
    typeof error?.code === 'string' &&
    typeof error.message === 'string'
    ? (reply as Reply)
    : undefined;
}

/** The oldest request written that is answered in line (not late). */
function oldestInLine(written: Iterable<Request>): Request | undefined {
  for (const request of written) {
    if (!request.late) {
      return request;
    }
  }
  return undefined;
}
