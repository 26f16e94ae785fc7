import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './support/line-client.js';
import { scrape } from './support/metrics.js';
import { ServerProcess } from './support/server-process.js';

const UIDS = 100_000;
const ROUNDS = 3;
const HEAP_MIB = 96;
const MAX_BYTES = 8 * 2 ** 20;

/** The offline buffer of a server process, pushed to by uids that never connect. */
describe('the offline buffer under uids that never connect', () => {
  let server: ServerProcess;
  let wsPort: number;
  let textPort: number;

  beforeAll(async () => {
    server = ServerProcess.start({
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
      PUSH_BUFFER_MAX_BYTES: String(MAX_BYTES),
      // The bound that matters: what the rounds put through the buffer would not fit in this heap.
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}`,
    });
    ({ ws: wsPort, text: textPort } = await server.ports());
  });

  afterAll(() => server.kill());

  it(`stays within PUSH_BUFFER_MAX_BYTES as ${ROUNDS} × ${UIDS} uids push, dropping the oldest`, async () => {
    const backend = await LineClient.connect(textPort);
    const message = 'x'.repeat(100);
    /** Pushes once to each of `UIDS` new uids, and waits until the server has run every line. */
    async function round(n: number): Promise<void> {
      const chunk: string[] = [];
      for (let i = 0; i < UIDS; i++) {
        chunk.push(
          JSON.stringify({
            type: 'sendToUid',
            uid: `never ${n} ${i}`,
            message,
          }),
        );
        if (chunk.length === 10_000) {
          await backend.write(chunk.join('\n') + '\n');
          chunk.length = 0;
        }
      }
      await backend.request({ type: 'getAllClientCount' });
    }

    const before = server.rss();
    for (let n = 0; n < ROUNDS; n++) {
      await round(n);
    }
    const after = server.rss();
    const counts = await scrape(wsPort);
    backend.socket.destroy();

    console.log(
      `buffer memory: ${ROUNDS} × ${UIDS} uids through a ${HEAP_MIB} MiB heap, RSS ${mib(before)} → ${mib(after)} MiB; ` +
        `kept ${counts.pushgate_buffered_messages} pushes in ${mib(counts.pushgate_history_bytes)} MiB, ` +
        `dropped ${counts['pushgate_buffer_dropped_total{reason="bytes_limit"}']}`,
    );
    expect(counts.pushgate_history_bytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(
      counts.pushgate_buffered_messages +
        counts['pushgate_buffer_dropped_total{reason="bytes_limit"}'],
    ).toBe(ROUNDS * UIDS);
    expect(counts.pushgate_history_uids).toBe(
      counts.pushgate_buffered_messages,
    );
    expect(server.child.exitCode).toBeNull();
  }, 60_000); // a load test: bounded in count, given time on a busy machine
});

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
