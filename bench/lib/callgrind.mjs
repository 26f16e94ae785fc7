import { execFile, spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addProblems } from './problems.mjs';

const run = promisify(execFile);

/**
 * Counting instructions instead of time (`--callgrind DIR`). Valgrind's callgrind executes the
 * server on a simulated CPU and counts every instruction it runs, in every thread (the JIT
 * compilers' and the garbage collector's included). What another process does on the machine
 * changes the time a server takes, but not its count, so a count repeats from run to run where
 * CPU time drifts by ±10%. It leaves out what the kernel does for the process (system calls,
 * TCP), which is the same code for both servers, and it says nothing about cache misses.
 *
 * The server starts with counting off; each measurement window (see `ServerProcess.window`)
 * zeroes the counters, counts, and dumps them into DIR, where `callgrind_annotate` reads them.
 */
export function callgrindCommand(dir) {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      '--callgrind needs valgrind on the PATH (Debian: apt-get install valgrind)',
    );
  }
  return [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    '--separate-threads=yes',
    // V8 writes machine code into memory it then runs: valgrind must notice, or run stale code.
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(dir, 'callgrind.%p')}`,
    // Valgrind's own messages are not the server's output.
    `--log-file=${join(dir, 'valgrind.%p.log')}`,
  ];
}

/** The counters of one server running under callgrind. */
export class InstructionCounter {
  #pid;
  #dir;
  #dumps = 0;

  constructor(pid, dir) {
    this.#pid = pid;
    this.#dir = dir;
  }

  async start() {
    await this.#control('--zero');
    await this.#control('--instr=on');
  }

  /** Instructions since `start`: in all threads, and in the main (JavaScript) thread. */
  async stop() {
    await this.#control('--instr=off');
    await this.#control('--dump');
    const part = `callgrind.${this.#pid}.${++this.#dumps}-`;
    const counts = { all: 0, main: 0 };
    for (const name of await readdir(this.#dir)) {
      if (!name.startsWith(part)) {
        continue;
      }
      const text = await readFile(join(this.#dir, name), 'utf8');
      const total = Number(/^totals: (\d+)$/m.exec(text)?.[1] ?? 0);
      counts.all += total;
      if (/^thread: 1$/m.test(text)) {
        counts.main += total;
      }
    }
    if (counts.main === 0) {
      throw new Error(`no callgrind dump ${part}* in ${this.#dir}`);
    }
    return counts;
  }

  async #control(command) {
    await run('callgrind_control', [command, String(this.#pid)]);
  }
}

/**
 * A scenario as `--callgrind` runs it: twice against the same server, and reported as
 * instructions per unit of work (`scenario.unit`). The first pass is what a fresh server costs,
 * with V8 still compiling the code it runs; the second is the cost once that code is compiled.
 */
export function counted(scenario) {
  const { name: unit, count } = scenario.unit;
  return {
    ...scenario,
    figures: [
      {
        key: 'firstPass',
        label: `instructions per ${unit}, first pass (k)`,
        digits: 1,
      },
      {
        key: 'secondPass',
        label: `instructions per ${unit}, second pass (k)`,
        digits: 1,
      },
      {
        key: 'secondPassMain',
        label: '  of them in the main thread (k)',
        digits: 1,
      },
    ],
    async measure(server, settings) {
      const first = await scenario.measure(server, settings);
      await server.idle();
      const second = await scenario.measure(server, settings);
      const thousands = (instructions) => instructions / count(settings) / 1000;
      return {
        figures: {
          firstPass: thousands(first.instructions.all),
          secondPass: thousands(second.instructions.all),
          secondPassMain: thousands(second.instructions.main),
        },
        problems: addProblems({ ...first.problems }, second.problems),
      };
    },
  };
}
