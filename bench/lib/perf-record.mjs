import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { track } from './children.mjs';

const run = promisify(execFile);

/** Samples per second of CPU time the server uses. */
const FREQUENCY = 2000;
/** How long `perf record` may take to attach before a measurement starts without it. */
const ATTACH_TIMEOUT_MS = 5000;

/**
 * Sampling the servers with Linux `perf` (`--perf DIR`). Unlike `--cpu-prof`, it sees what the
 * JavaScript asks of the rest of the process (system calls, the garbage collector, V8's runtime,
 * Node's C++), and it samples the baseline as well as Pushgate. The server runs with
 * `--perf-prof`, so that V8 writes down every piece of code it compiles, with its address and
 * time (`jit-<pid>.dump`, in DIR, the server's working directory); `perf inject --jit` then names
 * the compiled functions in the samples, even code that V8 moved later, which the map of
 * `--perf-basic-prof` names wrongly. The clock is the kernel's `cpu-clock`: virtual machines like
 * these have no hardware counters.
 */
export function perfNodeArgs() {
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      '--perf needs Linux perf on the PATH (Debian: apt-get install linux-perf)',
    );
  }
  return ['--perf-prof', '--interpreted-frames-native-stack'];
}

/** Records one server's samples, a file per measurement window. */
export class PerfRecorder {
  #pid;
  #dir;
  #label;
  #windows = 0;
  #recording;

  constructor(pid, dir, label) {
    this.#pid = pid;
    this.#dir = dir;
    this.#label = label;
  }

  async start() {
    const file = join(
      this.#dir,
      `${this.#label}.${this.#pid}.${++this.#windows}.raw.data`,
    );
    // `-k 1`: timestamps on the clock V8's jitdump uses, which `perf inject --jit` requires.
    const child = track(
      spawn(
        'perf',
        [
          'record',
          '-k',
          '1',
          '-e',
          'cpu-clock',
          '-F',
          String(FREQUENCY),
          '-g',
          '-p',
          String(this.#pid),
          '-o',
          file,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
    const errors = [];
    child.stderr.on('data', (chunk) => errors.push(chunk));
    this.#recording = { child, file, errors };
    // perf creates its output file once it is attached to the process.
    for (
      const deadline = Date.now() + ATTACH_TIMEOUT_MS;
      !existsSync(file);
      await sleep(20)
    ) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `perf record did not start: ${Buffer.concat(errors).toString().trim()}`,
        );
      }
    }
  }

  /** Stops recording; resolves to the file with the samples, functions named. */
  async stop() {
    const { child, file } = this.#recording;
    this.#recording = undefined;
    child.kill('SIGINT');
    await once(child, 'exit');
    const named = file.replace(/\.raw\.data$/, '.data');
    await run('perf', ['inject', '--jit', '-i', file, '-o', named], {
      maxBuffer: 64 * 1024 * 1024,
    });
    await rm(file);
    return named;
  }
}
