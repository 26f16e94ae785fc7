import { Backend } from '../lib/backend.mjs';
import { addProblems } from '../lib/problems.mjs';
import { memoryKb } from '../lib/proc-stats.mjs';
import { withReceivers } from '../lib/receiver-pool.mjs';
import { latencyMs } from '../lib/stats.mjs';
import { DRAIN, OPEN_TIMEOUT_MS } from './limits.mjs';

/** Lines per write: one send time for all of them, since they enter the socket together. */
const BATCH_LINES = 64;

/**
 * C bound clients, each its own uid; one backend connection pushes M `send` lines to random uids
 * as fast as TCP backpressure from the server allows.
 */
export const fanout = {
  name: 'fanout',
  settings: ({ clients, messages, quick, callgrind }) => ({
    clients: clients ?? (quick ? 1000 : callgrind ? 2000 : 5000),
    messages: messages ?? (quick ? 10_000 : callgrind ? 20_000 : 100_000),
  }),
  /** What `--callgrind` counts instructions per. */
  unit: { name: 'message', count: ({ messages }) => messages },
  describe: ({ clients, messages }) =>
    `${clients.toLocaleString('en')} clients, ${messages.toLocaleString('en')} messages to random uids`,
  figures: [
    { key: 'deliveredPerSec', label: 'delivered/s', digits: 0 },
    { key: 'lost', label: 'lost (worst round)', digits: 0, aggregate: 'max' },
    { key: 'p50Ms', label: 'latency p50 (ms)', digits: 2 },
    { key: 'p99Ms', label: 'latency p99 (ms)', digits: 2 },
    { key: 'maxMs', label: 'latency max (ms)', digits: 2 },
    {
      key: 'cpuUsPerMessage',
      label: 'server CPU per delivered message (µs)',
      digits: 1,
    },
    {
      key: 'mainThreadCpuUsPerMessage',
      label: '  of it in the main thread (µs)',
      digits: 1,
    },
    {
      key: 'writesPerMessage',
      label: 'server write system calls per delivered message',
      digits: 3,
    },
    { key: 'peakRssMb', label: 'server peak RSS (MB)', digits: 1 },
    {
      key: 'loadCpuPercent',
      label: 'load generator CPU (% of its core)',
      digits: 0,
      ratio: false,
    },
  ],

  async measure(server, { clients, messages }) {
    return withReceivers(clients, async (receivers) => {
      await receivers.open(server.wsUrl, clients, OPEN_TIMEOUT_MS);
      const backend = await Backend.connect(server.textPort);
      try {
        await receivers.reset();
        const window = await server.window();
        const ownCpuBefore = process.cpuUsage();
        const start = process.hrtime.bigint();
        await pushSends(backend, clients, messages);
        await receivers.waitFor(messages, DRAIN);
        const spent = await window.close();
        const report = await receivers.report();
        const seconds = Number(report.lastReceivedAt - start) / 1e9;
        const ownCpu = process.cpuUsage(ownCpuBefore);
        return {
          figures: {
            deliveredPerSec: report.received / seconds,
            lost: messages - report.received,
            ...latencyMs(report.latenciesNs, {
              p50Ms: 50,
              p99Ms: 99,
              maxMs: 100,
            }),
            cpuUsPerMessage: (spent.cpuSeconds * 1e6) / report.received,
            mainThreadCpuUsPerMessage:
              (spent.mainThreadCpuSeconds * 1e6) / report.received,
            writesPerMessage: spent.writeCalls / report.received,
            peakRssMb: memoryKb(server.pid).peak / 1024,
            loadCpuPercent:
              ((report.cpuSeconds + (ownCpu.user + ownCpu.system) / 1e6) /
                seconds) *
              100,
          },
          problems: addProblems({ ...report.problems }, backend.problems),
          instructions: spent.instructions,
        };
      } finally {
        backend.close();
      }
    });
  },
};

export async function pushSends(backend, clients, messages) {
  for (let sent = 0; sent < messages;) {
    const sentAt = String(process.hrtime.bigint());
    const end = Math.min(sent + BATCH_LINES, messages);
    let lines = '';
    for (; sent < end; sent++) {
      const uid = `u${Math.floor(Math.random() * clients)}`;
      lines += `{"type":"send","task_id":"${uid}","openid":"o","data":"${sentAt}"}\n`;
    }
    await backend.write(lines);
  }
}
