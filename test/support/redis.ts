import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'vitest';

/** The Redis the cluster specs share; `.ci/run` starts one there when nothing listens. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** Why Redis at `port` cannot be used, or undefined when it answers PING. */
export async function redisProblem(port = 6379): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done('no answer to PING within 2 s'), 2000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) =>
      done(
        data.toString().startsWith('+PONG')
          ? undefined
          : `PING answered ${data.toString().trim()}`,
      ),
    );
    socket.once('error', (error) => done(error.message));
  });
}

const sharedRedisProblem = await redisProblem();
const hasRedisServer =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * `describe` for specs that need the shared Redis. Without one they are skipped, saying why, on a
 * developer's machine; under CI=true a missing Redis fails the run instead.
 */
export const describeWithRedis = gated(
  sharedRedisProblem === undefined
    ? undefined
    : `no Redis at ${SHARED_REDIS_URL} (${sharedRedisProblem}); start one with: redis-server --daemonize yes --save '' --appendonly no`,
);

/** `describe` for specs that start Redis servers of their own: they need the `redis-server` binary. */
export const describeWithRedisServer = gated(
  hasRedisServer
    ? undefined
    : 'no redis-server binary on the PATH (Debian: apt-get install redis-server)',
);

function gated(problem: string | undefined) {
  return (name: string, body: () => void): void => {
    if (problem === undefined) {
      describe(name, body);
    } else if (process.env.CI === 'true') {
      describe(name, () => {
        it('has what it needs', () => {
          throw new Error(`CI=true, and ${problem}`);
        });
      });
    } else {
      console.warn(`SKIPPED "${name}": ${problem}`);
      describe.skip(`${name} [skipped: ${problem}]`, body);
    }
  };
}

/** Every private server running, killed when the test process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * A `redis-server` of a test's own, on a free port, without persistence: one the test can stop
 * and start again without touching the shared one.
 */
export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, on the same port); resolves once it answers PING. */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    const deadline = Date.now() + 10_000;
    while ((await redisProblem(this.port)) !== undefined) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`redis-server on port ${this.port} did not start`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the server (SIGKILL: Redis vanishes, as in a crash) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (
      child !== undefined &&
      child.exitCode === null &&
      child.signalCode === null
    ) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
