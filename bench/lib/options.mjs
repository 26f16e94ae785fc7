import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `Usage: npm run bench -- [options]   (or: node bench/run.mjs [options], after npm run build)

  --scenario <name|all>  fanout, latency, connect, broadcast, cluster, a comma-separated list of
                         them, or all (default: all); cluster needs redis-server on the PATH
  --clients N            WebSocket clients (default per scenario: fanout, latency, broadcast
                         and cluster 5,000; connect 19,000)
  --messages N           fanout: send lines pushed (default 100,000); cluster: saturated
                         lines (default 50,000)
  --broadcasts N         broadcast: sendToAll lines, then as many sendToGroup lines (default 20)
  --rounds N             rounds, each measuring Pushgate and the baseline (cluster: a two-node
                         cluster and a single node) once, in alternating order; the tables show
                         medians (default 3)
  --quick                small numbers and 1 round: a smoke test of well under a minute
  --cpu-prof DIR         Pushgate writes a V8 CPU profile of each measurement into DIR
                         (read one with: node bench/profile-top.mjs DIR/<file>.cpuprofile)
  --callgrind DIR        connect and fanout only: count the servers' instructions under
                         valgrind's callgrind instead of timing them, in a first pass and a
                         second; repeatable where time is not (smaller default sizes; the
                         profiles stay in DIR for callgrind_annotate)
  --perf DIR             fanout, connect and broadcast: sample both servers with Linux perf in
                         each measurement, native code and system calls included, into DIR
                         (read one with: node bench/perf-top.mjs DIR/<file>.data)
  -h, --help             this text`;

const COUNTS = ['clients', 'messages', 'broadcasts', 'rounds'];

/** The command line as `{ scenario, clients, messages, broadcasts, rounds, quick, help }`. */
export function parseOptions(args) {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string', default: 'all' },
      ...Object.fromEntries(COUNTS.map((name) => [name, { type: 'string' }])),
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      callgrind: { type: 'string' },
      perf: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const options = { ...values };
  for (const name of COUNTS) {
    if (values[name] !== undefined) {
      const count = Number(values[name].replaceAll(/[,_]/g, ''));
      if (!Number.isSafeInteger(count) || count < 1) {
        throw new Error(
          `--${name} must be a positive whole number, not ${values[name]}`,
        );
      }
      options[name] = count;
    }
  }
  options.rounds ??= values.quick ? 1 : 3;
  // Absolute, because a server sampled by perf runs in the perf directory.
  for (const name of ['cpu-prof', 'callgrind', 'perf']) {
    if (values[name] !== undefined) {
      options[name] = resolve(values[name]);
    }
  }
  if (values.perf !== undefined && values.callgrind !== undefined) {
    throw new Error(
      '--perf samples a server that runs natively, --callgrind one under valgrind: choose one',
    );
  }
  return options;
}
