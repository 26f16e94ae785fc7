#!/usr/bin/env node
/**
 * Where the memory of an idle bound connection goes: starts a server (built Pushgate or the
 * baseline), takes a V8 heap snapshot, binds C clients (each its own uid), takes another, and
 * prints the difference per connection, grouped by what V8 calls each object (its constructor, or
 * its kind for arrays, closures and strings). The snapshots themselves grow the server's RSS, so
 * RSS per connection is the `connect` scenario's to measure, not this script's.
 *
 *   npm run build && node bench/heap-per-connection.mjs [--target pushgate|baseline] [--clients N]
 *
 * A snapshot of 10,000 connections is about 100 MB, and reading it takes a few seconds.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { withReceivers } from './lib/receiver-pool.mjs';
import { startServer, TARGETS } from './lib/server-process.mjs';
import { OPEN_TIMEOUT_MS } from './scenarios/limits.mjs';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'pushgate' },
    clients: { type: 'string', default: '10000' },
    top: { type: 'string', default: '25' },
  },
});
const clients = Number(values.clients);
if (!(values.target in TARGETS) || !(clients > 0)) {
  console.error(
    'usage: node bench/heap-per-connection.mjs [--target pushgate|baseline] [--clients N] [--top N]',
  );
  process.exit(2);
}

/** Milliseconds a snapshot file must keep its size to count as written. */
const WRITTEN_MS = 1000;
const SETTLE_MS = 1000;

const dir = mkdtempSync(join(tmpdir(), 'pushgate-heap-'));
try {
  const server = await startServer(values.target, {
    env: {
      NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`,
    },
  });
  try {
    await withReceivers(clients, async (receivers) => {
      await receivers.reset();
      const before = await snapshot(server.pid, 1);
      await receivers.open(server.wsUrl, clients, OPEN_TIMEOUT_MS);
      await sleep(SETTLE_MS);
      const after = await snapshot(server.pid, 2);
      report(tally(before), tally(after));
    });
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Asks the server for its `n`th snapshot and waits until the file is written. */
async function snapshot(pid, n) {
  process.kill(pid, 'SIGUSR2');
  let size = -1;
  for (;;) {
    await sleep(WRITTEN_MS);
    const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
    if (files.length < n) {
      continue;
    }
    const file = join(dir, files.sort()[n - 1]);
    const now = statSync(file).size;
    if (now === size && now > 0) {
      return file;
    }
    size = now;
  }
}

/** Bytes and counts of a snapshot's objects by group; each object's id, to tell new ones. */
function tally(file) {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snapshot.meta.node_fields;
  const kinds = snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) =>
    fields.indexOf(f),
  );
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const group = groupOf(kinds[nodes[i + type]], strings[nodes[i + name]]);
    const bytes = nodes[i + size];
    const entry = groups.get(group) ?? { bytes: 0, count: 0 };
    entry.bytes += bytes;
    entry.count++;
    groups.set(group, entry);
    total += bytes;
  }
  return { groups, total };
}

function groupOf(kind, name) {
  switch (kind) {
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return 'strings';
    case 'number':
      return 'numbers (boxed doubles)';
    case 'closure':
      return name === 'native_bind' ? 'bound functions' : 'closures';
    case 'object':
      return name;
    default:
      return `(${kind}) ${name}`.slice(0, 70);
  }
}

function report(before, after) {
  const rows = [...after.groups]
    .map(([group, { bytes, count }]) => {
      const was = before.groups.get(group) ?? { bytes: 0, count: 0 };
      return {
        group,
        bytes: (bytes - was.bytes) / clients,
        count: (count - was.count) / clients,
      };
    })
    .filter((row) => row.bytes >= 1)
    .sort((a, b) => b.bytes - a.bytes);
  const heap = (after.total - before.total) / clients;
  console.log(
    `${TARGETS[values.target].label}, ${clients.toLocaleString('en')} bound idle connections`,
  );
  console.log(
    `${heap.toFixed(0)} bytes per connection in the heap snapshot, native handles included\n`,
  );
  console.log('bytes/conn  objects/conn  what');
  for (const row of rows.slice(0, Number(values.top))) {
    console.log(
      `${row.bytes.toFixed(0).padStart(10)}  ${row.count.toFixed(2).padStart(12)}  ${row.group}`,
    );
  }
  console.log(
    JSON.stringify({
      target: values.target,
      clients,
      heapBytesPerConnection: Math.round(heap),
      groups: Object.fromEntries(
        rows.map((row) => [row.group, Math.round(row.bytes)]),
      ),
    }),
  );
}
