import { setTimeout as sleep } from 'node:timers/promises';
import { listenOverflows, memoryKb } from '../lib/proc-stats.mjs';
import { withReceivers } from '../lib/receiver-pool.mjs';
import { OPEN_TIMEOUT_MS } from './limits.mjs';

/** Milliseconds the server is left idle after the last `init_ok`, before its RSS is read. */
const SETTLE_MS = 1000;

/**
 * Opens C clients that each send `init`, as fast as the server accepts them (a bounded number
 * of handshakes in flight), and measures what a bound idle connection costs.
 */
export const connect = {
  name: 'connect',
  settings: ({ clients, quick, callgrind }) => ({
    clients: clients ?? (quick ? 2000 : callgrind ? 4000 : 19_000),
  }),
  /** What `--callgrind` counts instructions per. */
  unit: { name: 'connection', count: ({ clients }) => clients },
  describe: ({ clients }) =>
    `${clients.toLocaleString('en')} clients, each sending init`,
  figures: [
    { key: 'connectionsPerSec', label: 'connections/s', digits: 0 },
    { key: 'secondsToBound', label: 'time until all bound (s)', digits: 2 },
    {
      key: 'cpuUsPerConnection',
      label: 'server CPU per connection (µs)',
      digits: 0,
    },
    {
      key: 'mainThreadCpuUsPerConnection',
      label: '  of it in the main thread (µs)',
      digits: 0,
    },
    {
      key: 'rssKbPerConnection',
      label: 'server RSS per connection (KB)',
      digits: 2,
    },
    {
      key: 'listenOverflows',
      label: 'listen queue overflows (machine-wide)',
      digits: 0,
      ratio: false,
    },
    {
      key: 'loadCpuPercent',
      label: 'load generator CPU (% of its core)',
      digits: 0,
      ratio: false,
    },
  ],

  async measure(server, { clients }) {
    return withReceivers(clients, async (receivers) => {
      await receivers.reset();
      const ownCpuBefore = process.cpuUsage();
      const rssBefore = memoryKb(server.pid).rss;
      const window = await server.window();
      const overflowsBefore = listenOverflows();
      const start = process.hrtime.bigint();
      await receivers.open(server.wsUrl, clients, OPEN_TIMEOUT_MS);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const spent = await window.close();
      const ownCpu = process.cpuUsage(ownCpuBefore);
      const overflows = listenOverflows() - overflowsBefore;
      await sleep(SETTLE_MS);
      const rssAfter = memoryKb(server.pid).rss;
      const report = await receivers.report();
      return {
        figures: {
          connectionsPerSec: clients / seconds,
          secondsToBound: seconds,
          cpuUsPerConnection: (spent.cpuSeconds * 1e6) / clients,
          mainThreadCpuUsPerConnection:
            (spent.mainThreadCpuSeconds * 1e6) / clients,
          rssKbPerConnection: (rssAfter - rssBefore) / clients,
          listenOverflows: overflows,
          loadCpuPercent:
            ((report.cpuSeconds + (ownCpu.user + ownCpu.system) / 1e6) /
              seconds) *
            100,
        },
        problems: report.problems,
        instructions: spent.instructions,
      };
    });
  },
};
