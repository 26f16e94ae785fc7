import { execFileSync, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * The servers run on core 0 and the whole load generator (runner and receivers) on core 1, so
 * that they do not take CPU from each other and the servers' figures stay comparable. Without
 * `taskset` or with a single core, nothing is pinned and the report says so.
 */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

// cpus(), not availableParallelism(): the latter shrinks to one once this process is pinned.
export const pinned =
  cpus().length >= 2 &&
  spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** The command and arguments that run `argv` on `core` (unchanged when not pinning). */
export function onCore(core, [command, ...args]) {
  return pinned
    ? ['taskset', ['-c', String(core), command, ...args]]
    : [command, args];
}

/**
 * Moves this process, all its threads included (`-a`), to `core`. Child processes forked later
 * inherit the affinity.
 */
export function pinSelf(core) {
  if (pinned) {
    execFileSync(
      'taskset',
      ['-a', '-p', '-c', String(core), String(process.pid)],
      {
        stdio: 'ignore',
      },
    );
  }
}
