import { setTimeout as sleep } from 'node:timers/promises';
import { listenOverflows, memoryKb } from '../lib/proc-stats.mjs';
import { withReceivers } from '../lib/receiver-pool.mjs';
import { OPEN_TIMEOUT_MS } from './limits.mjs';

/**
 * Milliseconds the server is left idle after the last `init_ok`, or after a collection, before
 * its RSS is read: V8 gives freed pages back on a thread of its own.
 */
const SETTLE_MS = 1000;

/**
 * Opens C clients that each send `init`, as fast as the server accepts them (a bounded number
 * of handshakes in flight), and measures what a bound idle connection costs.
 *
 * RSS is read twice after the connects: as they left it, and once V8 has collected all it can.
 * The first holds what V8 has not collected yet (garbage moved to the old generation during the
 * burst, and the young generation, grown to its most: 31 MB more, 1.6 KB per connection of
 * 19,000), and moves between rounds with the timing of the collections; the second is what the
 * server holds for its connections. Both servers are collected before they are measured, so
 * that neither starts with a young generation already grown (Pushgate's start-up grows it).
 */
export const connect = {
  name: 'connect',
  /** Its servers start with their inspector, through which they are asked to collect. */
  inspect: true,
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
      label: 'server RSS per connection, as left (KB)',
      digits: 2,
    },
    {
      key: 'collectedRssKbPerConnection',
      label: 'server RSS per connection, collected (KB)',
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
      // Not under callgrind, whose servers have no inspector.
      const collects = server.inspectable;
      if (collects) {
        await collect(server);
      }
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
      const rssCollected = collects ? await collect(server) : undefined;
      const report = await receivers.report();
      return {
        figures: {
          connectionsPerSec: clients / seconds,
          secondsToBound: seconds,
          cpuUsPerConnection: (spent.cpuSeconds * 1e6) / clients,
          mainThreadCpuUsPerConnection:
            (spent.mainThreadCpuSeconds * 1e6) / clients,
          rssKbPerConnection: (rssAfter - rssBefore) / clients,
          collectedRssKbPerConnection:
            rssCollected === undefined
              ? undefined
              : (rssCollected - rssBefore) / clients,
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

/** Has the server collect its garbage, and returns its RSS (KB) once it has given pages back. */
async function collect(server) {
  await server.collectGarbage();
  await sleep(SETTLE_MS);
  return memoryKb(server.pid).rss;
}
