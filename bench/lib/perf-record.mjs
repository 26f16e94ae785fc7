import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stop, track } from './children.mjs';

const run = promisify(execFile);

/** Samples per second of CPU time the server uses. */
const FREQUENCY = 2000;
/** How long `perf record` may take to attach. */
const ATTACH_TIMEOUT_MS = 5000;
/** How long `perf record` may take to write its file once asked to stop. */
const STOP_TIMEOUT_MS = 30_000;

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
    // `-D -1` with `--control`: perf attaches, then samples from the `enable` it acknowledges,
    // so that the window starts sampled (it takes perf some 150 ms to attach).
    const child = track(
      spawn(
        'perf',
        [
          'record',
          '-D',
          '-1',
          '--control',
          'fd:3,4',
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
        {
          stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
          env: this.#env(),
        },
      ),
    );
    const exited = once(child, 'exit');
    const errors = [];
    child.stderr.on('data', (chunk) => errors.push(chunk));
    this.#recording = { child, exited, file };
    child.stdio[3].write('enable\n');
    const timeout = new AbortController();
    const outcome = await Promise.race([
      once(child.stdio[4], 'data').then(() => 'ready'),
      exited.then(() => 'exited'),
      sleep(ATTACH_TIMEOUT_MS, 'late', { signal: timeout.signal }),
    ]);
    timeout.abort();
    if (outcome !== 'ready') {
      await this.#end();
      throw new Error(
        `perf record did not start: ${Buffer.concat(errors).toString().trim() || outcome}`,
      );
    }
  }

  /** Stops recording; resolves to the file with the samples, functions named. */
  async stop() {
    const { file } = this.#recording;
    await this.#end();
    const named = file.replace(/\.raw\.data$/, '.data');
    await run('perf', ['inject', '--jit', '-i', file, '-o', named], {
      env: this.#env(),
      maxBuffer: 64 * 1024 * 1024,
    });
    await rm(file);
    await rm(join(this.#dir, '.debug'), { recursive: true, force: true });
    return named;
  }

  /** Ends the recording, however it stands: perf exits by itself when the server does. */
  async #end() {
    const { child, exited } = this.#recording;
    this.#recording = undefined;
    // SIGINT: perf writes its file and exits.
    await stop(child, exited, 'SIGINT', STOP_TIMEOUT_MS);
  }

  /**
   * perf copies the code it has named (the node binary, thousands of compiled functions: some
   * 150 MB a server) into its build-id cache in `$HOME/.debug`, which this perf lets no variable
   * move; reading the samples does not need it. Its home is DIR, and the cache is deleted.
   */
  #env() {
    return { ...process.env, HOME: this.#dir };
  }
}
