#!/usr/bin/env node
/**
 * What opening and binding a connection allocates, garbage included: the other half of memory per
 * connection. `heap-per-connection.mjs` shows what a connection keeps; this shows what the
 * garbage collector must sweep up after it, which is what a connection costs in collections.
 *
 * Starts a server (built Pushgate or the baseline) with its inspector on a free loopback port,
 * binds W clients so that V8 has compiled the path (and closes them), then has V8's sampling heap
 * profiler record every allocation, those collected since included, while C more clients connect
 * and send `init`. Prints bytes allocated per connection by whose code allocated them, then by
 * JavaScript function. An allocation a built-in makes (a Map, a bound function, a Buffer) counts
 * for the JavaScript function that called it.
 *
 *   npm run build && node bench/allocations-per-connection.mjs [--target pushgate|baseline]
 *     [--clients N] [--warmup N] [--top N]
 *
 * The profiler samples one allocation in about SAMPLING_BYTES: the figures are estimates, a few
 * per cent apart from run to run.
 */
import { parseArgs } from 'node:util';
import { ownerOf, shortPath } from './lib/owners.mjs';
import { withReceivers } from './lib/receiver-pool.mjs';
import { startServer, TARGETS } from './lib/server-process.mjs';
import { OPEN_TIMEOUT_MS } from './scenarios/limits.mjs';

const SAMPLING_BYTES = 1024;

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'pushgate' },
    clients: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '2000' },
    top: { type: 'string', default: '25' },
  },
});
const [clients, warmup, top] = [values.clients, values.warmup, values.top].map(
  Number,
);
if (!(values.target in TARGETS) || !(clients > 0) || !(warmup >= 0)) {
  console.error(
    'usage: node bench/allocations-per-connection.mjs [--target pushgate|baseline] [--clients N] [--warmup N] [--top N]',
  );
  process.exit(2);
}

const server = await startServer(values.target, { inspect: true });
try {
  const inspector = await server.inspector();
  try {
    if (warmup > 0) {
      await withReceivers(warmup, (receivers) =>
        receivers.open(server.wsUrl, warmup, OPEN_TIMEOUT_MS),
      );
    }
    // Until the warm-up's clients are closed and forgotten.
    await server.idle();
    const profile = await withReceivers(clients, async (receivers) => {
      await inspector.call('HeapProfiler.startSampling', {
        samplingInterval: SAMPLING_BYTES,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      await receivers.open(server.wsUrl, clients, OPEN_TIMEOUT_MS);
      return (await inspector.call('HeapProfiler.stopSampling')).profile;
    });
    report(tally(profile));
  } finally {
    inspector.close();
  }
} finally {
  await server.stop();
}

/**
 * Bytes by owner and by function. A node of the profile is a call stack; its `selfSize` was
 * allocated by its function, or, for a built-in (no file), by the nearest caller with a file.
 */
function tally(profile) {
  const byOwner = new Map();
  const byFunction = new Map();
  let total = 0;
  const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node, caller) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const here = url
      ? {
          name: functionName || '(anonymous)',
          where: `${shortPath(url)}:${lineNumber + 1}`,
        }
      : caller;
    if (node.selfSize > 0) {
      total += node.selfSize;
      if (here === undefined) {
        // Objects Node's C++ makes through V8's API, or with no JavaScript on the stack.
        add(byOwner, 'no JavaScript on the stack', node.selfSize);
      } else {
        add(byOwner, ownerOf(here.where), node.selfSize);
        add(byFunction, `${here.name} ${here.where}`, node.selfSize);
      }
    }
    for (const child of node.children) {
      walk(child, here);
    }
  };
  walk(profile.head, undefined);
  return { byOwner, byFunction, total };
}

function report({ byOwner, byFunction, total }) {
  const perConnection = (bytes) => (bytes / clients).toFixed(0).padStart(10);
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  console.log(
    `${TARGETS[values.target].label}, ${clients.toLocaleString('en')} clients connecting and sending init, after ${warmup.toLocaleString('en')} to warm up`,
  );
  console.log(
    `${perConnection(total).trim()} bytes allocated per connection, garbage included\n`,
  );
  console.log('bytes/conn  whose code');
  for (const [owner, bytes] of sorted(byOwner)) {
    console.log(`${perConnection(bytes)}  ${owner}`);
  }
  console.log('\nbytes/conn  function (built-ins count for their caller)');
  for (const [name, bytes] of sorted(byFunction).slice(0, top)) {
    console.log(`${perConnection(bytes)}  ${name}`);
  }
  console.log(
    JSON.stringify({
      target: values.target,
      clients,
      warmup,
      bytesPerConnection: Math.round(total / clients),
      owners: Object.fromEntries(
        sorted(byOwner).map(([owner, bytes]) => [
          owner,
          Math.round(bytes / clients),
        ]),
      ),
    }),
  );
}
