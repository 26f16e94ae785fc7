import { type ClientOptions, WebSocket } from 'ws';
import { MessageQueue } from './message-queue.js';

// oxlint-disable-next-line typescript/no-explicit-any -- test code reads arbitrary JSON fields
export type Json = any;

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A browser stand-in: a real `ws` client whose incoming messages are read in order. */
export class WsClient {
  readonly messages = new MessageQueue<Json>();
  readonly closed: Promise<CloseInfo>;
  /** The id the server gave this connection in its last `init_ok`. */
  clientId = '';

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) =>
      this.messages.push(parseFrame((data as Buffer).toString())),
    );
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) =>
        resolve({ code, reason: reason.toString() }),
      ),
    );
  }

  static connect(url: string, options?: ClientOptions): Promise<WsClient> {
    const socket = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  /** The HTTP status an upgrade the server refuses is answered with. */
  static refusal(url: string, options?: ClientOptions): Promise<number> {
    const socket = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => {
        socket.terminate();
        reject(new Error('the upgrade was accepted'));
      });
      socket.once('error', reject);
    });
  }

  /** Connects and binds to `uid`; resolves with the `init_ok` answer. */
  static async bound(url: string, uid: string): Promise<WsClient> {
    const client = await WsClient.connect(url);
    await client.init(uid);
    return client;
  }

  send(message: Json): void {
    this.socket.send(
      typeof message === 'string' ? message : JSON.stringify(message),
    );
  }

  next(timeoutMs?: number): Promise<Json> {
    return this.messages.next(timeoutMs, 'WebSocket message');
  }

  /** The next message that is not a heartbeat ping. */
  async nextNonPing(timeoutMs?: number): Promise<Json> {
    for (;;) {
      const message = await this.next(timeoutMs);
      if (message.type !== 'ping') {
        return message;
      }
    }
  }

  async init(uid: string | number): Promise<Json> {
    this.send({ type: 'init', task_id: uid });
    const reply = await this.nextNonPing();
    if (reply.type !== 'init_ok') {
      throw new Error(`init failed: ${JSON.stringify(reply)}`);
    }
    this.clientId = reply.client_id;
    return reply;
  }

  async close(): Promise<CloseInfo> {
    if (this.socket.readyState !== WebSocket.CLOSED) {
      this.socket.close();
    }
    return this.closed;
  }
}

/** A frame as JSON when it is JSON; a plain-string push stays a string. */
function parseFrame(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
