// Reads the samples `npm run bench -- --perf DIR` recorded of a server's main thread, and prints
// whose code they were spent in, then the JavaScript functions that took the most. A sample
// counts for the nearest JavaScript function on its stack: the native work it asked for (a system
// call, a hash table, V8's runtime) is its own.
//   node bench/perf-top.mjs DIR/<target>.<pid>.<n>.data [how many functions]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { ownerOf, shortPath } from './lib/owners.mjs';

const [file, count = '25'] = process.argv.slice(2);
if (file === undefined) {
  console.error(
    'Usage: node bench/perf-top.mjs <DIR/target.pid.n.data> [how many]',
  );
  process.exit(2);
}
// The recorder names its files <target>.<pid>.<window>.data; the main thread's id is the pid.
const mainThread = basename(file).split('.')[1];

const GARBAGE_COLLECTOR = /Heap::CollectGarbage|Scavenger|MarkCompact/;
const JAVASCRIPT = /^(JS|Function|LazyCompile):[~*^+]?/;

const byOwner = new Map();
const byFunction = new Map();
let samples = 0;
const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

function take(frames) {
  samples++;
  if (frames.some((frame) => GARBAGE_COLLECTOR.test(frame))) {
    return add(byOwner, 'the garbage collector');
  }
  const js = frames.find((frame) => JAVASCRIPT.test(frame));
  if (js === undefined) {
    // The event loop waiting or polling, V8 compiling, Node's C++ with no JavaScript above it.
    return add(byOwner, 'no JavaScript on the stack');
  }
  // "<function> <file>:<line>:<column>", the function's name empty when it has none.
  const frame = js.replace(JAVASCRIPT, '').replace(/^ /, '(anonymous) ');
  // A name may hold a space ("get instance"); a path does not.
  const at = frame.lastIndexOf(' ');
  const where = shortPath(frame.slice(at + 1));
  add(byOwner, ownerOf(where));
  add(byFunction, `${frame.slice(0, at + 1)}${where}`);
}

const perf = spawn('perf', ['script', '-F', 'tid,ip,sym', '-i', file], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let frames;
let thread;
for await (const line of createInterface({ input: perf.stdout })) {
  if (line.trim() === '') {
    if (frames !== undefined && thread === mainThread) take(frames);
    frames = undefined;
  } else if (frames === undefined) {
    thread = line.trim();
    frames = [];
  } else {
    // "<address> <symbol>"
    frames.push(line.trim().replace(/^\S+\s+/, ''));
  }
}
if (frames !== undefined && thread === mainThread) take(frames);
const [code] = await once(perf, 'close');
if (code !== 0) {
  process.exit(1); // perf has said why, on stderr
}

const table = (map, limit) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(
      ([key, n]) =>
        `${String(n).padStart(7)}  ${((100 * n) / samples).toFixed(1).padStart(5)}%  ${key}`,
    )
    .join('\n');
console.log(`${samples} samples of the main thread (${mainThread})\n`);
console.log(`whose code:\n${table(byOwner, Infinity)}\n`);
console.log(`JavaScript functions:\n${table(byFunction, Number(count))}`);
