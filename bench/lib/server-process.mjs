import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { callgrindCommand, InstructionCounter } from './callgrind.mjs';
import { stop, track } from './children.mjs';
import { onCore, SERVER_CORE } from './cpu-pinning.mjs';
import { freePort } from './free-port.mjs';
import { connectInspector } from './inspector.mjs';
import { PerfRecorder, perfNodeArgs } from './perf-record.mjs';
import { cpuSeconds, mainThreadCpuSeconds, writeCalls } from './proc-stats.mjs';

const root = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The servers a scenario runs against, started the same way. */
export const TARGETS = {
  pushgate: { label: 'Pushgate', script: root('dist/main.js') },
  baseline: { label: 'baseline', script: root('bench/baseline-server.mjs') },
};

const ENV = {
  PUSH_WS_HOST: '127.0.0.1',
  PUSH_WS_PORT: '0',
  PUSH_TEXT_HOST: '127.0.0.1',
  PUSH_TEXT_PORT: '0',
  // Ten minutes: no ping falls inside a measurement (the receivers would answer one anyway).
  PUSH_PING_INTERVAL_MS: '600000',
  // Not `warn`: that would also hide the two start-up lines the ports are read from. Nothing is
  // logged per message at `log`, and any line a server prints after start-up is reported.
  LOG_LEVEL: 'log',
  // A single node, whatever the environment says; the cluster scenario sets its own.
  PUSH_REDIS_URL: '',
  // Each receiver connects up to 5,000 clients from one local address (the default allows 1,000).
  PUSH_MAX_CONNECTIONS_PER_IP: '100000',
};

const START_TIMEOUT_MS = 20_000;
/** Under callgrind a server runs some fifty times slower, start-up included. */
const CALLGRIND_SLOWDOWN = 50;
/** A server is idle once it has used no CPU for this long... */
const QUIET_MS = 1000;
/** ...which it must be within this long. */
const IDLE_TIMEOUT_MS = 300_000;
/** A server still running this long after SIGTERM is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Lines of output kept for error messages and the report. */
const KEEP_LINES = 20;
/** What Node prints of its inspector (see `inspect`): not the server's output. */
const INSPECTOR_LINE =
  /^(Debugger (listening|attached|ending)|For help, see: |Waiting for the debugger)/;

/**
 * Starts `target` (a key of TARGETS) on the server core with free loopback ports, and resolves
 * once it has printed where it listens. With `cpuProfileDir`, Pushgate writes a V8 CPU profile
 * there when it exits (read it with `node bench/profile-top.mjs`). With `callgrindDir`, the server
 * runs under valgrind's callgrind, which counts its instructions (see `callgrind.mjs`). With
 * `perfDir`, Linux perf samples it in each measurement window (see `perf-record.mjs`). With
 * `inspect`, its inspector listens on a free loopback port (see `inspector()`). `env` adds
 * settings.
 */
export async function startServer(
  target,
  { cpuProfileDir, callgrindDir, perfDir, inspect = false, env = {} } = {},
) {
  const { script } = TARGETS[target];
  const profile =
    cpuProfileDir && target === 'pushgate'
      ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`]
      : [];
  const inspectPort = inspect ? await freePort() : undefined;
  const [command, args] = onCore(SERVER_CORE, [
    ...(callgrindDir ? callgrindCommand(callgrindDir) : []),
    process.execPath,
    ...profile,
    ...(perfDir ? perfNodeArgs() : []),
    ...(inspect ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
    script,
  ]);
  const child = track(
    spawn(command, args, {
      env: { ...process.env, ...ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // V8 writes its record of compiled code (for perf) into the working directory.
      cwd: perfDir,
    }),
  );
  const server = new ServerProcess(
    child,
    callgrindDir && new InstructionCounter(child.pid, callgrindDir),
    perfDir && new PerfRecorder(child.pid, perfDir, target),
    inspectPort,
  );
  try {
    await server.started;
  } catch (error) {
    // A server that never printed its addresses may still be running, and would keep the runner.
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * A running server: its pid (taskset and valgrind exec node, so it is node's), addresses and
 * output.
 */
class ServerProcess {
  #child;
  #counter;
  #perf;
  #inspectPort;
  #ports = {};
  #onStarted;
  #onStartFailed;
  /** Lines printed after start-up (the last KEEP_LINES of them): warnings and errors under load. */
  output = [];
  /** Lines printed in all. */
  outputLines = 0;

  constructor(child, counter, perf, inspectPort) {
    this.#child = child;
    this.#counter = counter;
    this.#perf = perf;
    this.#inspectPort = inspectPort;
    this.pid = child.pid;
    this.exited = once(child, 'exit');
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) =>
        this.#onLine(line),
      );
    }
    this.started = new Promise((resolve, reject) => {
      this.#onStarted = resolve;
      this.#onStartFailed = reject;
    });
    const timeoutMs =
      counter === undefined
        ? START_TIMEOUT_MS
        : START_TIMEOUT_MS * CALLGRIND_SLOWDOWN;
    const timer = setTimeout(
      () =>
        this.#onStartFailed(
          this.#failure(`did not print its addresses within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    const clear = () => clearTimeout(timer);
    this.started.then(clear, clear);
    // Once started, rejecting does nothing: a crash later is caught by assertRunning.
    this.exited.then(
      ([code, signal]) =>
        this.#onStartFailed(this.#failure(`exited (${signal ?? code})`)),
      (error) => this.#onStartFailed(error), // could not be spawned at all
    );
  }

  /** The processes whose CPU a measurement counts, by name. */
  get processes() {
    return { server: this.pid };
  }

  get wsUrl() {
    return `ws://${this.#ports.ws}/`;
  }

  get textPort() {
    return Number(this.#ports.text.split(':').pop());
  }

  /**
   * Starts measuring what the server spends; `close()` on the result says what it spent since:
   * `cpuSeconds` in all threads and `mainThreadCpuSeconds`, `writeCalls` (system calls that
   * wrote), and under callgrind `instructions`
   * (`{ all, main }`, see `callgrind.mjs`). With `--perf`, the window's samples are written to a
   * file, whose name is printed.
   */
  async window() {
    await this.#perf?.start();
    const cpuBefore = cpuSeconds(this.pid);
    const mainBefore = mainThreadCpuSeconds(this.pid);
    const writesBefore = writeCalls(this.pid);
    await this.#counter?.start();
    return {
      close: async () => {
        const spent = {
          cpuSeconds: cpuSeconds(this.pid) - cpuBefore,
          mainThreadCpuSeconds: mainThreadCpuSeconds(this.pid) - mainBefore,
          writeCalls: writeCalls(this.pid) - writesBefore,
        };
        const instructions = await this.#counter?.stop();
        if (this.#perf !== undefined) {
          console.error(`  perf samples: ${await this.#perf.stop()}`);
        }
        return { ...spent, instructions };
      },
    };
  }

  /** Whether it was started with `inspect`: `inspector()` and `collectGarbage()` need it. */
  get inspectable() {
    return this.#inspectPort !== undefined;
  }

  /** A session with its inspector (see `inspector.mjs`); close it when done. */
  inspector() {
    if (this.#inspectPort === undefined) {
      throw new Error('the server was not started with inspect');
    }
    return connectInspector(this.#inspectPort);
  }

  /**
   * Has V8 collect all the garbage it can, as a memory-reducing collection would (its young
   * generation shrinks to its least): what is left is what the server holds.
   */
  async collectGarbage() {
    const inspector = await this.inspector();
    try {
      await inspector.call('HeapProfiler.collectGarbage');
    } finally {
      inspector.close();
    }
  }

  /**
   * Resolves once the server is idle (no CPU for QUIET_MS): it has finished what the last
   * measurement left it, such as closing that measurement's sockets.
   */
  async idle() {
    const deadline = Date.now() + IDLE_TIMEOUT_MS;
    for (let before = cpuSeconds(this.pid); Date.now() < deadline;) {
      await sleep(QUIET_MS);
      const now = cpuSeconds(this.pid);
      if (now === before) {
        return;
      }
      before = now;
    }
    throw this.#failure(`was still busy after ${IDLE_TIMEOUT_MS} ms`);
  }

  /** Throws when the server died before it was asked to stop. */
  assertRunning() {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      throw this.#failure(
        `exited during the run (${this.#child.signalCode ?? this.#child.exitCode})`,
      );
    }
  }

  /** SIGTERM, then SIGKILL if it does not exit within STOP_TIMEOUT_MS; resolves once it is gone. */
  async stop() {
    await stop(this.#child, this.exited, 'SIGTERM', STOP_TIMEOUT_MS);
  }

  #onLine(line) {
    if (INSPECTOR_LINE.test(line)) {
      return;
    }
    this.outputLines++;
    const address = /\b(WebSocket|Text)\s+(?:ws|tcp):\/\/(\S+)$/.exec(line);
    if (address !== null && this.#onStarted !== undefined) {
      this.#ports[address[1] === 'WebSocket' ? 'ws' : 'text'] = address[2];
      if (this.#ports.ws !== undefined && this.#ports.text !== undefined) {
        this.#onStarted();
        this.#onStarted = undefined;
        this.outputLines = 0;
        this.output = [];
      }
      return;
    }
    this.output.push(line);
    if (this.output.length > KEEP_LINES) {
      this.output.shift();
    }
  }

  #failure(what) {
    const output =
      this.output.length > 0
        ? `; its last output:\n  ${this.output.join('\n  ')}`
        : '';
    return new Error(`the server (pid ${this.pid}) ${what}${output}`);
  }
}
