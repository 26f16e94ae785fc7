/**
 * One load-generator process holding up to 5,000 WebSocket clients (lib/lean-websocket.mjs), all
 * from a local address of its own (127.0.0.x), which has its own ~28,000 ephemeral ports. The
 * runner starts it with `fork` and drives it over the IPC channel: each request
 * `{ id, op, args }` gets exactly one reply `{ id, result }` or `{ id, error }`
 * (see lib/receiver-pool.mjs).
 *
 * Every message with a string `data` is a send time, `process.hrtime.bigint()` in nanoseconds:
 * that clock (CLOCK_MONOTONIC) is shared by all processes of the machine, so the latency is this
 * process's clock minus the stamp.
 */
import { LeanWebSocket } from './lib/lean-websocket.mjs';

const PONG = JSON.stringify({ type: 'pong' });

const sockets = [];
let closing = false;

// What the clients received since the last `reset`.
let received = 0;
let lastReceivedAt = 0n;
let latencies = new Float64Array(1 << 16);
let samples = 0;
let cpuAtReset = process.cpuUsage();
/** Anything unexpected (server errors, closed sockets), counted by description. */
let problems = {};

function problem(description) {
  problems[description] = (problems[description] ?? 0) + 1;
}

function record(latencyNs) {
  if (samples === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[samples++] = latencyNs;
}

function onMessage(socket, message) {
  switch (message.type) {
    case 'ping':
      socket.send(PONG);
      return;
    case 'error':
      problem(`server error ${message.code}: ${message.message}`);
      return;
    default:
      received++;
      lastReceivedAt = process.hrtime.bigint();
      if (typeof message.data === 'string') {
        record(Number(lastReceivedAt - BigInt(message.data)));
      }
  }
}

/** Opens one client, sends `init` and resolves with its client id once `init_ok` arrives. */
function connect(url, localAddress, uid, timeoutMs) {
  return new Promise((resolve, reject) => {
    let bound = false;
    const fail = (error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`no init_ok for ${uid} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const socket = new LeanWebSocket(url, localAddress, {
      open: () => socket.send(JSON.stringify({ type: 'init', task_id: uid })),
      message: (text) => {
        const message = JSON.parse(text);
        if (bound || message.type !== 'init_ok') {
          onMessage(socket, message);
          return;
        }
        bound = true;
        clearTimeout(timer);
        sockets.push(socket);
        resolve(message.client_id);
      },
      error: (error) => {
        if (!bound) {
          fail(error);
        } else if (!closing) {
          problem(`socket error ${error.code ?? error.message}`);
        }
      },
      close: (code) => {
        if (!bound) {
          fail(new Error(`${uid} closed with ${code} before init_ok`));
        } else if (!closing) {
          problem(`closed by the server with ${code}`);
        }
      },
    });
  });
}

const ops = {
  /**
   * Opens clients bound to uids `${prefix}${first}` ... `${prefix}${first + count - 1}`, at most
   * `concurrency` handshakes at a time; returns their client ids in uid order.
   */
  async open({
    url,
    localAddress,
    prefix,
    first,
    count,
    concurrency,
    timeoutMs,
  }) {
    const deadline = Date.now() + timeoutMs;
    const clientIds = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          throw new Error(
            `only ${index} of ${count} clients bound within ${timeoutMs} ms`,
          );
        }
        try {
          clientIds[index] = await connect(
            url,
            localAddress,
            `${prefix}${first + index}`,
            remaining,
          );
        } catch (error) {
          next = count; // the other workers stop too: this open has failed
          throw error;
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, worker),
    );
    return clientIds;
  },

  reset() {
    received = 0;
    lastReceivedAt = 0n;
    samples = 0;
    problems = {};
    cpuAtReset = process.cpuUsage();
  },

  count() {
    return received;
  },

  report() {
    const cpu = process.cpuUsage(cpuAtReset);
    return {
      received,
      lastReceivedAt,
      latenciesNs: latencies.subarray(0, samples),
      problems,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  },

  /** Drops every client at once: the measurements are over, a closing handshake would only cost time. */
  close() {
    closing = true;
    for (const socket of sockets) {
      socket.terminate();
    }
    sockets.length = 0;
  },
};

process.on('message', async ({ id, op, args }) => {
  try {
    process.send({ id, result: await ops[op](args) });
  } catch (error) {
    process.send({ id, error: error.message });
  }
});
// The runner is gone (even killed): nobody will ever close these sockets but this process.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
