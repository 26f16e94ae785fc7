// Prints the functions that took the most CPU in a V8 CPU profile (from `npm run bench --
// --cpu-prof DIR`): self time first, as a share of all samples, with where the function is.
import { readFileSync } from 'node:fs';
import { shortPath } from './lib/owners.mjs';

const [file, count = '25'] = process.argv.slice(2);
if (file === undefined) {
  console.error(
    'Usage: node bench/profile-top.mjs <file.cpuprofile> [how many]',
  );
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Each sample names the node (a function at a place in a call tree) running at that moment.
const samplesOf = new Map();
for (const id of profile.samples) {
  samplesOf.set(id, (samplesOf.get(id) ?? 0) + 1);
}
const selfByFunction = new Map();
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${shortPath(url)}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'}  ${where}`;
  selfByFunction.set(
    key,
    (selfByFunction.get(key) ?? 0) + (samplesOf.get(node.id) ?? 0),
  );
}
const total = profile.samples.length;
const top = [...selfByFunction]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(count));
for (const [name, samples] of top) {
  console.log(`${((100 * samples) / total).toFixed(1).padStart(5)}%  ${name}`);
}
