import { connect, type Socket } from 'node:net';
import { MessageQueue } from './message-queue.js';
import type { Json } from './ws-client.js';

/** A backend stand-in: a real TCP client on the text port that reads reply lines in order. */
export class LineClient {
  readonly lines = new MessageQueue<string>();
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
  private buffered = '';
  private nextId = 1;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (this.buffered + text).split('\n');
      this.buffered = parts.pop() ?? '';
      parts.forEach((line) => this.lines.push(line));
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => resolve()),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<LineClient> {
    const socket = connect(port, host);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes, exactly as given. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Writes one message as a line, without waiting for anything back. */
  send(message: Json): Promise<void> {
    return this.write(JSON.stringify(message) + '\n');
  }

  /** Sends `message` with a fresh `id` and resolves with its reply. */
  async request(message: Json): Promise<Json> {
    const id = this.nextId++;
    await this.send({ ...message, id });
    const reply = await this.next();
    if (reply.id !== id) {
      throw new Error(
        `expected the reply to ${id}, got ${JSON.stringify(reply)}`,
      );
    }
    return reply;
  }

  async next(timeoutMs?: number): Promise<Json> {
    return JSON.parse(await this.lines.next(timeoutMs, 'reply line'));
  }

  /** Half-closes and waits until the server has closed its side too. */
  async end(): Promise<void> {
    this.socket.end();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
