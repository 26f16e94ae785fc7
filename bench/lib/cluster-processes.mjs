import { startRedis } from './redis-server.mjs';
import { startServer } from './server-process.mjs';

/**
 * A two-node Pushgate cluster for one measurement: a fresh redis-server and nodes A and B on it,
 * all on the server core. Browsers connect to A, the backend pushes through B, so every message
 * crosses Redis. It looks like one server to the scenario: `wsUrl` is A's, `textPort` is B's.
 */
export async function startCluster({ cpuProfileDir } = {}) {
  const redis = await startRedis();
  const started = [];
  try {
    for (const node of ['a', 'b']) {
      started.push(
        await startServer('pushgate', {
          cpuProfileDir,
          env: {
            PUSH_REDIS_URL: redis.url,
            PUSH_REDIS_PREFIX: 'bench',
            PUSH_NODE_ID: node,
          },
        }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    await redis.stop();
    throw error;
  }
  return new ClusterProcesses(redis, started[0], started[1]);
}

class ClusterProcesses {
  #redis;
  #a;
  #b;

  constructor(redis, a, b) {
    this.#redis = redis;
    this.#a = a;
    this.#b = b;
  }

  get wsUrl() {
    return this.#a.wsUrl;
  }

  get textPort() {
    return this.#b.textPort;
  }

  get processes() {
    return {
      'node A': this.#a.pid,
      'node B': this.#b.pid,
      redis: this.#redis.pid,
    };
  }

  /** Redis calls per command so far. */
  commandCalls() {
    return this.#redis.commandCalls();
  }

  /** Lines the nodes printed after start-up, each marked with its node. */
  get output() {
    return [
      ...this.#a.output.map((line) => `A: ${line}`),
      ...this.#b.output.map((line) => `B: ${line}`),
    ];
  }

  get outputLines() {
    return this.#a.outputLines + this.#b.outputLines;
  }

  assertRunning() {
    this.#a.assertRunning();
    this.#b.assertRunning();
    if (!this.#redis.running()) {
      throw new Error('redis-server exited during the run');
    }
  }

  async stop() {
    await Promise.all([this.#a.stop(), this.#b.stop()]);
    await this.#redis.stop();
  }
}
