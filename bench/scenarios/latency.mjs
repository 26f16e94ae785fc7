import { setTimeout as sleep } from 'node:timers/promises';
import { Backend } from '../lib/backend.mjs';
import { addProblems } from '../lib/problems.mjs';
import { withReceivers } from '../lib/receiver-pool.mjs';
import { latencyMs } from '../lib/stats.mjs';
import { DRAIN, OPEN_TIMEOUT_MS } from './limits.mjs';

const RATE_PER_SECOND = 1000;

/**
 * The fanout's clients, but pushed at a fixed low rate (1,000 `send` lines a second), so that
 * nothing queues: the latency of a single push through an idle server.
 *
 * It is measured after 5 s at the same rate, so that a fresh server's JIT warm-up is not counted.
 * One second was not enough: Pushgate's deeper stack (Nest's pipelines) still had about 160
 * functions compiled by TurboFan during the 5 s that followed it (`--trace-opt`), and that work
 * shares the server's core, so its p99 measured the compiler more than the push.
 */
export const latency = {
  name: 'latency',
  settings: ({ clients, quick }) => ({
    clients: clients ?? (quick ? 1000 : 5000),
    seconds: quick ? 1 : 5,
    warmUpSeconds: quick ? 1 : 5,
  }),
  describe: ({ clients, seconds, warmUpSeconds }) =>
    `${clients.toLocaleString('en')} clients, ${RATE_PER_SECOND.toLocaleString('en')} messages/s for ${seconds} s after ${warmUpSeconds} s of warm-up`,
  figures: [
    { key: 'p50Ms', label: 'latency p50 (ms)', digits: 3 },
    { key: 'p99Ms', label: 'latency p99 (ms)', digits: 3 },
    { key: 'p999Ms', label: 'latency p99.9 (ms)', digits: 3 },
    { key: 'maxMs', label: 'latency max (ms)', digits: 3 },
    { key: 'lost', label: 'lost (worst round)', digits: 0, aggregate: 'max' },
  ],

  async measure(server, { clients, seconds, warmUpSeconds }) {
    return withReceivers(clients, async (receivers) => {
      await receivers.open(server.wsUrl, clients, OPEN_TIMEOUT_MS);
      const backend = await Backend.connect(server.textPort);
      try {
        const warmUp = RATE_PER_SECOND * warmUpSeconds;
        await pushAtRate(backend, clients, warmUp);
        const warmedUp = await receivers.waitFor(warmUp, DRAIN);
        await receivers.reset();
        const messages = RATE_PER_SECOND * seconds;
        await pushAtRate(backend, clients, messages);
        await receivers.waitFor(messages, DRAIN);
        const report = await receivers.report();
        return {
          figures: {
            ...latencyMs(report.latenciesNs, {
              p50Ms: 50,
              p99Ms: 99,
              p999Ms: 99.9,
              maxMs: 100,
            }),
            lost: warmUp - warmedUp + messages - report.received,
          },
          problems: addProblems({ ...report.problems }, backend.problems),
        };
      } finally {
        backend.close();
      }
    });
  },
};

/**
 * Sends `messages` lines at RATE_PER_SECOND: every timer tick (about a millisecond) it writes
 * the lines that are due by then, so that a late tick is caught up instead of lowering the rate.
 */
export async function pushAtRate(backend, clients, messages) {
  const start = performance.now();
  for (let sent = 0; sent < messages;) {
    const due = Math.min(
      messages,
      Math.floor(((performance.now() - start) * RATE_PER_SECOND) / 1000) + 1,
    );
    let lines = '';
    for (; sent < due; sent++) {
      const uid = `u${Math.floor(Math.random() * clients)}`;
      lines += `{"type":"send","task_id":"${uid}","openid":"o","data":"${process.hrtime.bigint()}"}\n`;
    }
    if (lines !== '') {
      await backend.write(lines);
    }
    await sleep(1);
  }
}
