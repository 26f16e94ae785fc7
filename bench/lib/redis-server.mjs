import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { track } from './children.mjs';
import { freePort } from './free-port.mjs';
import { onCore, SERVER_CORE } from './cpu-pinning.mjs';

const START_TIMEOUT_MS = 10_000;

/** Whether the `redis-server` binary is on the PATH. */
export const hasRedisServer =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * A `redis-server` of the bench's own, on a free loopback port and the server core, without
 * persistence: every measurement gets a fresh, empty one.
 */
export async function startRedis() {
  if (!hasRedisServer) {
    throw new Error(
      'the cluster scenario needs redis-server on the PATH (Debian: apt-get install redis-server)',
    );
  }
  const port = await freePort();
  const [command, args] = onCore(SERVER_CORE, [
    'redis-server',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const child = track(spawn(command, args, { stdio: 'ignore' }));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await redisCommand(port, 'PING');
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `redis-server on port ${port} did not start: ${error.message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    port,
    pid: child.pid,
    url: `redis://127.0.0.1:${port}`,
    /** Calls per command since the start (`INFO commandstats`), e.g. `{ publish: 1200 }`. */
    commandCalls: async () =>
      parseCommandStats(await redisCommand(port, 'INFO', 'commandstats')),
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** `cmdstat_publish:calls=12,usec=...` lines as `{ publish: 12 }`. */
export function parseCommandStats(info) {
  const calls = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1]] = Number(match[2]);
  }
  return calls;
}

/** Sends one command on a fresh connection and resolves with its reply as text (RESP, minimal). */
function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    socket.setTimeout(2000, () =>
      socket.destroy(new Error('no reply within 2 s')),
    );
    socket.once('error', reject);
    socket.once('connect', () =>
      socket.write(
        `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`,
      ),
    );
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      const text = reply.toString();
      if (text.startsWith('+') || text.startsWith('-')) {
        socket.destroy();
        if (text.startsWith('+')) {
          resolve(text.slice(1).trim());
        } else {
          reject(new Error(text.trim()));
        }
        return;
      }
      // A bulk string: $<length>\r\n<bytes>\r\n
      const header = text.indexOf('\r\n');
      const length = Number(text.slice(1, header));
      if (header > 0 && reply.length >= header + 2 + length) {
        socket.destroy();
        resolve(reply.subarray(header + 2, header + 2 + length).toString());
      }
    });
  });
}
