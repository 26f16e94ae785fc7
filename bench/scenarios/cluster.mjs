import { Backend } from '../lib/backend.mjs';
import { startCluster } from '../lib/cluster-processes.mjs';
import { addProblems } from '../lib/problems.mjs';
import { cpuSeconds } from '../lib/proc-stats.mjs';
import { withReceivers } from '../lib/receiver-pool.mjs';
import { startServer } from '../lib/server-process.mjs';
import { latencyMs } from '../lib/stats.mjs';
import { pushSends } from './fanout.mjs';
import { pushAtRate } from './latency.mjs';
import { DRAIN, OPEN_TIMEOUT_MS } from './limits.mjs';

const RATE_PER_SECOND = 1000;

/**
 * Pushgate in cluster mode against a single Pushgate node, in the same run. C clients bound to
 * their own uids on node A; one backend connection on node B pushes `send` lines to random uids,
 * so every message goes B → Redis → A. First at 1,000 lines/s (one second of warm-up, then the
 * latency of an unloaded push), then M lines as fast as backpressure allows (throughput, CPU per
 * message of each process, Redis commands per message from `INFO commandstats`). The single node
 * gets the same load with browsers and backend on it. Node A, node B and Redis share the server
 * core, so the cluster's throughput here is what one core gives all three: compare CPU per
 * message, not rates, to size a deployment.
 */
export const cluster = {
  name: 'cluster',
  targets: ['cluster', 'single'],
  labels: { cluster: 'cluster', single: 'single node' },
  start: (target, options) =>
    target === 'cluster'
      ? startCluster(options)
      : startServer('pushgate', options),
  settings: ({ clients, messages, quick }) => ({
    clients: clients ?? (quick ? 1000 : 5000),
    messages: messages ?? (quick ? 10_000 : 50_000),
    seconds: quick ? 1 : 3,
  }),
  describe: ({ clients, messages, seconds }) =>
    `${clients.toLocaleString('en')} clients on node A; through node B, ${RATE_PER_SECOND.toLocaleString('en')} lines/s for ${seconds} s, then ${messages.toLocaleString('en')} lines as fast as possible`,
  figures: [
    { key: 'p50Ms', label: 'latency p50 at 1,000/s (ms)', digits: 3 },
    { key: 'p99Ms', label: 'latency p99 at 1,000/s (ms)', digits: 3 },
    { key: 'deliveredPerSec', label: 'delivered/s, saturated', digits: 0 },
    { key: 'lost', label: 'lost (worst round)', digits: 0, aggregate: 'max' },
    {
      key: 'cpuUsPerMessage',
      label: 'CPU per message, all server processes (µs)',
      digits: 1,
    },
    {
      key: 'cpuUsNodeA',
      label: '  of which node A, to the browsers (µs)',
      digits: 1,
      ratio: false,
    },
    {
      key: 'cpuUsNodeB',
      label: '  of which node B, from the backend (µs)',
      digits: 1,
      ratio: false,
    },
    {
      key: 'cpuUsRedis',
      label: '  of which Redis (µs)',
      digits: 1,
      ratio: false,
    },
    {
      key: 'redisCommandsPerMessage',
      label: 'Redis commands per message (those scripts run included)',
      digits: 2,
      ratio: false,
    },
    {
      key: 'loadCpuPercent',
      label: 'load generator CPU (% of its core)',
      digits: 0,
      ratio: false,
    },
  ],

  async measure(server, { clients, messages, seconds }) {
    return withReceivers(clients, async (receivers) => {
      await receivers.open(server.wsUrl, clients, OPEN_TIMEOUT_MS);
      const backend = await Backend.connect(server.textPort);
      try {
        await pushAtRate(backend, clients, RATE_PER_SECOND);
        const warmedUp = await receivers.waitFor(RATE_PER_SECOND, DRAIN);
        await receivers.reset();
        const paced = RATE_PER_SECOND * seconds;
        await pushAtRate(backend, clients, paced);
        await receivers.waitFor(paced, DRAIN);
        const unloaded = await receivers.report();

        await receivers.reset();
        const processes = Object.entries(server.processes);
        const cpuBefore = processes.map(([, pid]) => cpuSeconds(pid));
        const callsBefore = await server.commandCalls?.();
        const ownCpuBefore = process.cpuUsage();
        const start = process.hrtime.bigint();
        await pushSends(backend, clients, messages);
        await receivers.waitFor(messages, DRAIN);
        const cpu = processes.map(
          ([, pid], i) => cpuSeconds(pid) - cpuBefore[i],
        );
        const callsAfter = await server.commandCalls?.();
        const report = await receivers.report();
        const elapsed = Number(report.lastReceivedAt - start) / 1e9;
        const ownCpu = process.cpuUsage(ownCpuBefore);
        const perMessage = (seconds) => (seconds * 1e6) / report.received;
        const cpuOf = (name) => {
          const i = processes.findIndex(([key]) => key === name);
          return i < 0 ? NaN : perMessage(cpu[i]);
        };
        const redisCalls =
          callsBefore === undefined
            ? undefined
            : callDeltas(callsBefore, callsAfter);
        return {
          figures: {
            ...latencyMs(unloaded.latenciesNs, { p50Ms: 50, p99Ms: 99 }),
            deliveredPerSec: report.received / elapsed,
            lost:
              RATE_PER_SECOND -
              warmedUp +
              paced -
              unloaded.received +
              messages -
              report.received,
            cpuUsPerMessage: perMessage(cpu.reduce((sum, s) => sum + s, 0)),
            cpuUsNodeA: cpuOf('node A'),
            cpuUsNodeB: cpuOf('node B'),
            cpuUsRedis: cpuOf('redis'),
            redisCommandsPerMessage:
              redisCalls === undefined
                ? NaN
                : Object.values(redisCalls).reduce((sum, n) => sum + n, 0) /
                  messages,
            loadCpuPercent:
              ((report.cpuSeconds + (ownCpu.user + ownCpu.system) / 1e6) /
                elapsed) *
              100,
          },
          redisCalls,
          problems: addProblems(
            addProblems({ ...unloaded.problems }, report.problems),
            backend.problems,
          ),
        };
      } finally {
        backend.close();
      }
    });
  },
};

/** Calls per command between two `INFO commandstats`, without the INFO calls themselves. */
function callDeltas(before, after) {
  const deltas = {};
  for (const [command, calls] of Object.entries(after)) {
    const delta = calls - (before[command] ?? 0) - (command === 'info' ? 1 : 0);
    if (delta > 0) {
      deltas[command] = delta;
    }
  }
  return deltas;
}
