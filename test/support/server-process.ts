import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageQueue } from './message-queue.js';

/** The standalone server, as `npm run build` leaves it. */
export const MAIN = fileURLToPath(
  new URL('../../dist/main.js', import.meta.url),
);

/** A built server (`node dist/main.js`, say) as a child process, with its output read line by line. */
export class ServerProcess {
  readonly lines = new MessageQueue<string>();
  /** Everything the process wrote, stdout and stderr interleaved. */
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  private constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          this.output.push(line);
          this.lines.push(line);
        }
      });
    }
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  static start(env: Record<string, string>, entry = MAIN): ServerProcess {
    if (!existsSync(entry)) {
      throw new Error(
        `${entry} is missing: run "npm run build" first (npm test does)`,
      );
    }
    const child = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child);
  }

  /** Reads output until a line matches, and returns the match. */
  async waitFor(
    pattern: RegExp,
    timeoutMs = 10_000,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.lines.next(
        Math.max(1, deadline - Date.now()),
        `line matching ${pattern}`,
      );
      const match = line.match(pattern);
      if (match) {
        return match;
      }
    }
  }

  /** The ports it logs once it is up (its listeners on 127.0.0.1). */
  async ports(): Promise<{ ws: number; text: number }> {
    const ws = await this.waitFor(/WebSocket +ws:\/\/127\.0\.0\.1:(\d+)$/);
    const text = await this.waitFor(/Text +tcp:\/\/127\.0\.0\.1:(\d+)$/);
    return { ws: Number(ws[1]), text: Number(text[1]) };
  }

  /** Its resident memory in bytes (Linux). */
  rss(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
