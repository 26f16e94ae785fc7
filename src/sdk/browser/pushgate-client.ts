import { backoffDelay } from '../backoff.js';

/** Where the client stands. Every change is announced with a `state` event. */
export type PushgateState = 'connecting' | 'connected' | 'disconnected';

export interface PushgateClientOptions {
  /** The uid to bind with `init` after every (re)connect. Without one, nothing is bound. */
  uid?: string;
  /**
   * Sent in `init` for a server that checks tokens (`PUSH_JWT_SECRET`). Tokens are short-lived, so
   * this may be a function, called before every `init`, that fetches a fresh one from your backend.
   */
  token?: string | (() => string | Promise<string>);
  /**
   * Follow positions: after a reconnect, the server sends what was pushed to the uid meanwhile
   * (what it still keeps), so nothing is missed; `bound` says `recovered: false` when it could not,
   * and the application should reload its state. Pushes sent with `ack` are acknowledged.
   */
  recover?: boolean;
  /** Shortest delay before reconnecting, in milliseconds. Default 500. */
  minReconnectDelayMs?: number;
  /** Longest delay before reconnecting, in milliseconds. Default 20,000. */
  maxReconnectDelayMs?: number;
  /**
   * Milliseconds without any message (pings included) after which the connection is taken for
   * dead and replaced. Default 60,000: over two of the server's default ping intervals.
   */
  pingTimeoutMs?: number;
  /** The WebSocket class to use; the browser's by default (`ws` in Node, say). */
  WebSocket?: WebSocketClass;
}

/** What each event passes to its listeners. */
export interface PushgateEvents {
  /** A message pushed by the server: parsed JSON, or the text when it is not JSON. */
  message: unknown;
  state: PushgateState;
  /**
   * The server bound the connection (`init_ok`). With `recover`, after a reconnect: whether it
   * sent everything missed meanwhile (`recovered`).
   */
  bound: { uid: string; clientId: string; recovered?: boolean };
  /** The server refused a message, or closed the connection with a code worth knowing. */
  error: { code: string; message: string };
}

/** The part of the WebSocket API the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketClass = new (url: string) => WebSocketLike;

type Listener<K extends keyof PushgateEvents> = (
  payload: PushgateEvents[K],
) => void;

const OPEN = 1;
/** Close codes after which reconnecting would not help: the server meant it. */
const FINAL_CLOSES: ReadonlySet<number> = new Set([
  1000, // closed by a backend (closeClient)
  4401, // unauthorized: a new token is needed
]);

/**
 * A browser's connection to Pushgate: binds the uid after every (re)connect, answers pings,
 * reconnects with full-jitter backoff when the connection drops, and hands every pushed message
 * to `message` listeners. No dependencies: an ES module, and a single script (`PushgateClient`
 * on `window`) for a plain `<script>` tag.
 *
 * ```js
 * const push = new PushgateClient('ws://host:7272', { uid: 'task 123' });
 * push.on('message', (m) => console.log(m));
 * push.on('state', (s) => console.log(s));
 * ```
 */
export class PushgateClient {
  private readonly options: Required<
    Omit<PushgateClientOptions, 'uid' | 'token'>
  > &
    Pick<PushgateClientOptions, 'uid' | 'token'>;
  /** The position of the last push received, with `recover`: where a reconnect resumes. */
  private position: number | undefined;
  private readonly listeners: {
    [K in keyof PushgateEvents]: Set<Listener<K>>;
  } = {
    message: new Set(),
    state: new Set(),
    bound: new Set(),
    error: new Set(),
  };
  private socket: WebSocketLike | undefined;
  private current: PushgateState = 'disconnected';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    options: PushgateClientOptions = {},
  ) {
    const WebSocketImpl =
      options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
    if (WebSocketImpl === undefined) {
      throw new Error('no WebSocket here: pass one in options.WebSocket');
    }
    this.options = {
      minReconnectDelayMs: 500,
      maxReconnectDelayMs: 20_000,
      pingTimeoutMs: 60_000,
      recover: false,
      ...options,
      WebSocket: WebSocketImpl,
    };
    // Connect once the caller has had a chance to add listeners.
    queueMicrotask(() => this.open());
  }

  get state(): PushgateState {
    return this.current;
  }

  on<K extends keyof PushgateEvents>(event: K, listener: Listener<K>): this {
    this.listeners[event].add(listener);
    return this;
  }

  off<K extends keyof PushgateEvents>(event: K, listener: Listener<K>): this {
    this.listeners[event].delete(listener);
    return this;
  }

  /** Sends a message of the application's own (a `chat`, say) when connected; false otherwise. */
  send(message: { type: string; [field: string]: unknown }): boolean {
    if (this.socket?.readyState !== OPEN) {
      return false;
    }
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Closes the connection for good: no reconnect. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.silenceTimer);
    const { socket } = this;
    this.socket = undefined;
    socket?.close(1000, 'client closed');
    this.setState('disconnected');
  }

  private open(): void {
    if (this.stopped) {
      return;
    }
    this.setState('connecting');
    const socket = new this.options.WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.expectLife();
      if (this.options.uid === undefined) {
        this.connected();
      } else {
        void this.init(socket, this.options.uid);
      }
    };
    socket.onmessage = ({ data }) => this.receive(String(data));
    socket.onclose = ({ code, reason }) => this.closed(socket, code, reason);
    // A failed connection is followed by `close`, which decides what comes next.
    socket.onerror = () => undefined;
  }

  private async init(socket: WebSocketLike, uid: string): Promise<void> {
    const { token } = this.options;
    let value: string | undefined;
    try {
      value = typeof token === 'function' ? await token() : token;
    } catch (error) {
      this.emit('error', {
        code: 'token_failed',
        message: `could not get a token: ${String(error)}`,
      });
      // Closed by us with a code that is not final: the usual backoff, then a new try.
      socket.close(4000, 'no token');
      return;
    }
    if (socket === this.socket && socket.readyState === OPEN) {
      const { recover } = this.options;
      const { position } = this;
      socket.send(
        JSON.stringify({
          type: 'init',
          task_id: uid,
          ...(value ? { token: value } : {}),
          ...(recover && position === undefined ? { recover } : {}),
          ...(recover && position !== undefined ? { since: position } : {}),
        }),
      );
    }
  }

  private receive(text: string): void {
    this.expectLife();
    const message = parse(text);
    const type =
      typeof message === 'object' && message !== null
        ? (message as { type?: unknown }).type
        : undefined;
    if (type === 'ping') {
      this.socket?.send('{"type":"pong"}');
    } else if (type === 'init_ok') {
      const { task_id, client_id, position, recovered } = message as {
        task_id: string;
        client_id: string;
        position?: number;
        recovered?: boolean;
      };
      this.position = position ?? this.position;
      this.connected();
      this.emit('bound', { uid: task_id, clientId: client_id, recovered });
    } else if (type === 'push' && this.options.recover) {
      const push = message as {
        position?: number;
        ack?: boolean;
        message: unknown;
      };
      if (push.position !== undefined) {
        this.position = push.position;
        if (push.ack) {
          this.socket?.send(`{"type":"ack","position":${push.position}}`);
        }
      }
      this.emit('message', push.message);
    } else if (type === 'error') {
      const { code, message: text } = message as {
        code: string;
        message: string;
      };
      this.emit('error', { code, message: text });
    } else {
      this.emit('message', message);
    }
  }

  private connected(): void {
    this.attempt = 0;
    this.setState('connected');
  }

  private closed(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.socket) {
      return; // an old socket, replaced already
    }
    this.socket = undefined;
    clearTimeout(this.silenceTimer);
    if (FINAL_CLOSES.has(code)) {
      this.stopped = true;
      this.emit('error', {
        code: code === 4401 ? 'unauthorized' : 'closed',
        message: reason || 'closed by the server',
      });
    }
    this.setState('disconnected');
    if (!this.stopped) {
      const { minReconnectDelayMs, maxReconnectDelayMs } = this.options;
      this.reconnectTimer = setTimeout(
        () => this.open(),
        backoffDelay(this.attempt++, minReconnectDelayMs, maxReconnectDelayMs),
      );
    }
  }

  /**
   * Restarts the wait for the next sign of life. Silence means a dead connection, whose close
   * handshake would never finish: it is let go at once and replaced.
   */
  private expectLife(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      const { socket } = this;
      if (socket !== undefined) {
        socket.onclose = null;
        socket.close(4000, 'the server went silent');
        this.closed(socket, 4000, 'the server went silent');
      }
    }, this.options.pingTimeoutMs);
  }

  private setState(state: PushgateState): void {
    if (state !== this.current) {
      this.current = state;
      this.emit('state', state);
    }
  }

  private emit<K extends keyof PushgateEvents>(
    event: K,
    payload: PushgateEvents[K],
  ): void {
    for (const listener of this.listeners[event]) {
      listener(payload);
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
