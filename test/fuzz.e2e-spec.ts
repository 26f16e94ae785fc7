import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import { FuzzInput } from './support/fuzz-input.js';
import { ServerProcess } from './support/server-process.js';
import { WsClient } from './support/ws-client.js';

const FRAMES = 4000;
const LINES = 4000;
const WS_WORKERS = 8;
const TEXT_WORKERS = 4;
/** Set FUZZ_SEED to replay a run; the seed of each run is in its report. */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** What the fuzzers sent and what came back, for the report. */
interface Tally {
  frames: number;
  lines: number;
  wsErrors: Record<string, number>;
  wsCloses: Record<string, number>;
  textReplies: Record<string, number>;
  textConnections: number;
  wsConnections: number;
}

function count(table: Record<string, number>, key: string | number): void {
  table[key] = (table[key] ?? 0) + 1;
}

describe('fuzzing both ports', () => {
  let server: ServerProcess;
  let wsUrl: string;
  let textPort: number;

  beforeAll(async () => {
    server = ServerProcess.start({
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
      // The fuzzers must reach the parsers, not be cut off by the rate limits (tested elsewhere).
      PUSH_MAX_MESSAGES_PER_SEC: '100000',
      PUSH_MAX_MESSAGES_BURST: '100000',
      PUSH_MAX_INITS_PER_MIN: '100000',
    });
    const ports = await server.ports();
    wsUrl = `ws://127.0.0.1:${ports.ws}`;
    textPort = ports.text;
  });

  afterAll(() => server.kill());

  it(`survives ${FRAMES} random frames and ${LINES} random lines; memory stays bounded and a bystander gets every push`, async () => {
    const input = new FuzzInput(SEED);
    const tally: Tally = {
      frames: 0,
      lines: 0,
      wsErrors: {},
      wsCloses: {},
      textReplies: {},
      textConnections: 0,
      wsConnections: 0,
    };
    const bystander = await WsClient.bound(wsUrl, 'watch');
    const push = new PushClient({ port: textPort, timeoutMs: 10_000 });

    const rss = { before: server.rss(), peak: 0 };
    const sampler = setInterval(
      () => (rss.peak = Math.max(rss.peak, server.rss())),
      50,
    );

    let fuzzing = true;
    const pushes = (async () => {
      let seq = 0;
      while (fuzzing) {
        expect(await push.sendToUid('watch', { kind: 'watch', seq })).toBe(1);
        seq++;
        await sleep(5);
      }
      return seq;
    })();

    await Promise.all([
      ...Array.from({ length: WS_WORKERS }, () =>
        fuzzWebSocket(wsUrl, input, FRAMES / WS_WORKERS, tally),
      ),
      ...Array.from({ length: TEXT_WORKERS }, () =>
        fuzzTextPort(textPort, input, LINES / TEXT_WORKERS, tally),
      ),
    ]);
    fuzzing = false;
    const sent = await pushes;
    clearInterval(sampler);

    // Every push to the bystander arrived, in order; whatever the fuzzers pushed to everyone aside.
    for (let seq = 0; seq < sent;) {
      const message = await bystander.nextNonPing(5000);
      if (message?.kind === 'watch') {
        expect(message.seq).toBe(seq++);
      }
    }
    // The server is up, and holds no connection of the fuzzers any more.
    expect(server.child.exitCode).toBeNull();
    await expect.poll(() => push.getAllClientCount()).toBe(1);
    const rssAfter = server.rss();

    const report = {
      seed: SEED,
      ...tally,
      pushesToBystander: sent,
      rssMiB: {
        before: mib(rss.before),
        peak: mib(rss.peak),
        after: mib(rssAfter),
      },
    };
    mkdirSync('test-output', { recursive: true });
    writeFileSync(
      'test-output/fuzz-report.json',
      JSON.stringify(report, null, 2),
    );
    console.log(`fuzz report: ${JSON.stringify(report)}`);

    // Bad input is the client's error, never the server's.
    expect(server.output.filter((line) => /ERROR/.test(line))).toEqual([]);
    expect(tally.textReplies.internal_error).toBeUndefined();
    expect(tally.frames).toBe(FRAMES);
    expect(tally.lines).toBe(LINES);
    // Bounded: the fuzz input is tens of MB, and none of it may stay behind.
    expect(rss.peak - rss.before).toBeLessThan(128 * 2 ** 20);

    bystander.socket.terminate();
    await push.close();
  }, 60_000); // a load test: bounded in count, given time on a busy machine
});

/**
 * Sends `frames` fuzz frames over one connection after another. Each connection ends with an
 * `init` whose answer proves the server read every frame before it; a frame the server must close
 * the connection for ends it early, and anything else that closes it is a failure.
 */
async function fuzzWebSocket(
  url: string,
  input: FuzzInput,
  frames: number,
  tally: Tally,
): Promise<void> {
  while (frames > 0) {
    const tab = await WsClient.connect(url);
    tally.wsConnections++;
    tab.socket.on('message', (data) => {
      const code = /^\{"type":"error","code":"(\w+)"/.exec(
        (data as Buffer).toString(),
      )?.[1];
      if (code !== undefined) {
        count(tally.wsErrors, code);
      }
    });
    let expectClose = false;
    for (let n = 1 + input.int(300); n > 0 && frames > 0 && !expectClose; n--) {
      const { data, binary, closes } = input.frame();
      tab.socket.send(data, { binary });
      frames--;
      tally.frames++;
      expectClose = closes;
    }
    if (expectClose) {
      const { code } = await tab.closed;
      count(tally.wsCloses, code);
      expect([1007, 1009]).toContain(code);
    } else {
      tab.send({ type: 'init', task_id: 'sentinel' });
      for (;;) {
        const message = await tab.next(10_000);
        if (message?.type === 'init_ok' && message.task_id === 'sentinel') {
          break;
        }
      }
      // Ended politely, or dropped without a close frame.
      if (input.chance(0.5)) {
        await tab.close();
      } else {
        tab.socket.terminate();
        await tab.closed;
      }
    }
  }
}

/**
 * Writes `lines` fuzz lines over one connection after another, cut into writes at random places;
 * some connections end in the middle of a line, some vanish without a FIN.
 */
async function fuzzTextPort(
  port: number,
  input: FuzzInput,
  lines: number,
  tally: Tally,
): Promise<void> {
  while (lines > 0) {
    const socket = connect(port, '127.0.0.1');
    tally.textConnections++;
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (received + text).split('\n');
      received = parts.pop()!;
      for (const reply of parts) {
        const code = /"code":"(\w+)"/.exec(reply)?.[1] ?? 'ok';
        count(tally.textReplies, code);
      }
    });
    socket.on('error', () => undefined);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    let batch: Buffer[] = [];
    for (let n = input.int(300); n > 0 && lines > 0; n--) {
      batch.push(input.line(), Buffer.from('\n'));
      lines--;
      tally.lines++;
      if (input.chance(0.2)) {
        await writeInPieces(socket, Buffer.concat(batch), input);
        batch = [];
      }
    }
    await writeInPieces(socket, Buffer.concat(batch), input);
    if (input.chance(0.2)) {
      socket.write('{"type":"sendToUid","uid":"u1","mess'); // ends mid-line
    }
    if (input.chance(0.7)) {
      socket.end();
    } else {
      socket.destroy();
    }
    await closed;
  }
}

async function writeInPieces(
  socket: Socket,
  bytes: Buffer,
  input: FuzzInput,
): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const size = 1 + input.int(4096);
    const piece = bytes.subarray(at, at + size);
    at += size;
    if (!socket.write(piece)) {
      await new Promise((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      });
    }
  }
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
