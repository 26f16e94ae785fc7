import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { track } from './children.mjs';
import { addProblems } from './problems.mjs';

const RECEIVER = fileURLToPath(new URL('../receiver.mjs', import.meta.url));

/**
 * Clients per receiver process, well under the 20,000 open files one process may have here. No
 * more processes than that cap needs: they all share the load generator's core, and every extra
 * one adds context switches (one receiver of 5,000 clients spent about 12% less CPU per message
 * than two of 2,500).
 */
const MAX_CLIENTS_PER_RECEIVER = 5000;
/**
 * WebSocket handshakes in flight across all receivers. Both servers listen with Node's default
 * backlog of 511; more SYNs than that would be dropped and retried a second later, which would
 * measure TCP's retry timer instead of the server.
 */
const CONNECT_WINDOW = 256;
/** Milliseconds one IPC request may take (opening 5,000 clients is the slowest). */
const REQUEST_TIMEOUT_MS = 180_000;
/** How often the runner asks how many messages have arrived while it waits for them. */
const POLL_MS = 20;

/**
 * Each receiver gets the next address of 127.0.0.2 ... 127.0.0.254, across the whole run: every
 * address has its own ~28,000 ephemeral ports, and a measurement never binds to an address where
 * the one before it just closed thousands of sockets.
 */
let nextHost = 2;
function nextLocalAddress() {
  const address = `127.0.0.${nextHost}`;
  nextHost = nextHost === 254 ? 2 : nextHost + 1;
  return address;
}

/** One receiver process and its request/reply channel. */
class Receiver {
  #child;
  #pending = new Map();
  #lastId = 0;

  constructor(localAddress) {
    this.localAddress = localAddress;
    this.#child = track(fork(RECEIVER, { serialization: 'advanced' }));
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('message', resolve);
      this.#child.once('exit', () =>
        reject(new Error(`receiver ${localAddress} exited at start`)),
      );
    });
    this.#child.on('message', ({ id, result, error }) => {
      const request = this.#pending.get(id);
      if (request !== undefined) {
        this.#pending.delete(id);
        clearTimeout(request.timer);
        if (error === undefined) {
          request.resolve(result);
        } else {
          request.reject(new Error(`receiver ${this.localAddress}: ${error}`));
        }
      }
    });
    this.#child.once('exit', (code, signal) => {
      for (const { reject, timer } of this.#pending.values()) {
        clearTimeout(timer);
        reject(
          new Error(`receiver ${this.localAddress} exited (${signal ?? code})`),
        );
      }
      this.#pending.clear();
    });
  }

  call(op, args) {
    const id = ++this.#lastId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new Error(
            `receiver ${this.localAddress}: no answer to ${op} within ${REQUEST_TIMEOUT_MS} ms`,
          ),
        );
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#child.send({ id, op, args });
    });
  }

  async close() {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await this.call('close');
      this.#child.disconnect();
    }
  }
}

/**
 * The WebSocket clients of one measurement, spread over receiver processes, with uids
 * `u0` ... `u<clients - 1>`. `use` runs with the pool; the processes end afterwards, whatever happens.
 */
export async function withReceivers(clients, use) {
  const count = Math.ceil(clients / MAX_CLIENTS_PER_RECEIVER);
  const pool = new ReceiverPool(
    Array.from({ length: count }, () => new Receiver(nextLocalAddress())),
  );
  try {
    await Promise.all(pool.receivers.map((receiver) => receiver.ready));
    return await use(pool);
  } finally {
    await Promise.allSettled(
      pool.receivers.map((receiver) => receiver.close()),
    );
  }
}

class ReceiverPool {
  constructor(receivers) {
    this.receivers = receivers;
  }

  /**
   * Opens `clients` clients to `url`, each bound with `init` to its own uid; returns their client
   * ids, index i being uid `u<i>`. Fails when not all are bound within `timeoutMs`.
   */
  async open(url, clients, timeoutMs) {
    const share = Math.ceil(clients / this.receivers.length);
    const concurrency = Math.max(
      1,
      Math.floor(CONNECT_WINDOW / this.receivers.length),
    );
    const parts = await Promise.all(
      this.receivers.map((receiver, i) =>
        receiver.call('open', {
          url,
          localAddress: receiver.localAddress,
          prefix: 'u',
          first: i * share,
          count: Math.max(0, Math.min(share, clients - i * share)),
          concurrency,
          timeoutMs,
        }),
      ),
    );
    return parts.flat();
  }

  /** Forgets what was received so far, to start a measurement. */
  async reset() {
    await this.#all('reset');
  }

  /**
   * Waits until `expected` messages have arrived in all, or until none arrived for `stallMs`, or
   * `timeoutMs` have passed; returns how many arrived. Fewer than expected means lost.
   */
  async waitFor(expected, { stallMs, timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    let received = 0;
    let progressAt = Date.now();
    while (Date.now() < deadline && Date.now() - progressAt < stallMs) {
      const now = (await this.#all('count')).reduce((sum, n) => sum + n, 0);
      if (now >= expected) {
        return now;
      }
      if (now > received) {
        received = now;
        progressAt = Date.now();
      }
      await sleep(POLL_MS);
    }
    return received;
  }

  /**
   * What arrived since `reset`: the count, the time of the last arrival (hrtime ns), all latency
   * samples (ns), the receivers' CPU seconds and their problems, merged.
   */
  async report() {
    const parts = await this.#all('report');
    const problems = {};
    for (const part of parts) {
      addProblems(problems, part.problems);
    }
    const latenciesNs = new Float64Array(
      parts.reduce((sum, part) => sum + part.latenciesNs.length, 0),
    );
    let offset = 0;
    for (const part of parts) {
      latenciesNs.set(part.latenciesNs, offset);
      offset += part.latenciesNs.length;
    }
    return {
      received: parts.reduce((sum, part) => sum + part.received, 0),
      lastReceivedAt: parts.reduce(
        (last, part) =>
          part.lastReceivedAt > last ? part.lastReceivedAt : last,
        0n,
      ),
      latenciesNs,
      cpuSeconds: parts.reduce((sum, part) => sum + part.cpuSeconds, 0),
      problems,
    };
  }

  #all(op, args) {
    return Promise.all(
      this.receivers.map((receiver) => receiver.call(op, args)),
    );
  }
}
