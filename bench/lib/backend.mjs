import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

/** Milliseconds a write may wait for the server to read on, or a request for its reply. */
const STALL_MS = 30_000;

/**
 * The backend side of a measurement: one TCP connection to a server's text port, writing JSON
 * lines. Replies to requests are matched by id; any other line the server writes is an error
 * reply to a line without id, and is counted in `problems`.
 */
export class Backend {
  #socket;
  #waiting = new Map();
  #lastId = 0;
  problems = {};

  static async connect(port) {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect', { signal: AbortSignal.timeout(STALL_MS) });
    return new Backend(socket);
  }

  constructor(socket) {
    this.#socket = socket;
    // A lost connection surfaces as a stalled write or request, with a clear message.
    socket.on('error', () => {});
    const lines = createInterface({ input: socket });
    lines.on('error', () => {}); // readline re-emits the socket's errors
    lines.on('line', (line) => {
      const reply = JSON.parse(line);
      const resolve = this.#waiting.get(reply.id);
      if (resolve !== undefined) {
        this.#waiting.delete(reply.id);
        resolve(reply);
      } else {
        const description = `text port error ${reply.error?.code}: ${reply.error?.message}`;
        this.problems[description] = (this.problems[description] ?? 0) + 1;
      }
    });
  }

  /**
   * Writes `text` (whole lines). Resolves at once while the socket takes more, and otherwise once
   * it has drained: the server decides the pace. Fails if it does not drain within STALL_MS.
   */
  async write(text) {
    if (this.#socket.write(text)) {
      return;
    }
    try {
      await once(this.#socket, 'drain', {
        signal: AbortSignal.timeout(STALL_MS),
      });
    } catch {
      throw new Error(
        `the server stopped reading the text port for ${STALL_MS} ms`,
      );
    }
  }

  /** Writes `command` with a fresh id and resolves with its `result`; fails on an error reply. */
  async request(command) {
    const id = ++this.#lastId;
    const reply = new Promise((resolve) => this.#waiting.set(id, resolve));
    await this.write(JSON.stringify({ id, ...command }) + '\n');
    const timeout = new Promise((_, reject) =>
      AbortSignal.timeout(STALL_MS).addEventListener('abort', () =>
        reject(new Error(`no reply to ${command.type} within ${STALL_MS} ms`)),
      ),
    );
    const { ok, result, error } = await Promise.race([reply, timeout]);
    if (!ok) {
      throw new Error(
        `${command.type} failed: ${error.code}: ${error.message}`,
      );
    }
    return result;
  }

  close() {
    this.#socket.destroy();
  }
}
