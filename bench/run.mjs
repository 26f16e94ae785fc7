/**
 * The benchmark runner, `npm run bench -- [options]` (see bench/README.md and `--help`).
 *
 * For every scenario and round it starts Pushgate (dist/main.js) and the baseline
 * (bench/baseline-server.mjs) afresh, one after the other, drives each with the same load, and
 * prints a table of medians with the ratio Pushgate/baseline and one JSON line. Only ratios from
 * one run are comparable: the machine drifts by about ±10% between runs.
 */
import './lib/children.mjs';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { counted } from './lib/callgrind.mjs';
import { LOAD_CORE, pinned, pinSelf } from './lib/cpu-pinning.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { report } from './lib/report.mjs';
import { startServer, TARGETS } from './lib/server-process.mjs';
import { labelOf, planned, scenarios, targetsOf } from './scenarios/index.mjs';

const startedAt = Date.now();
const progress = (text) =>
  console.error(
    `[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${text}`,
  );

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const names =
  options.scenario === 'all'
    ? scenarios.map(({ name }) => name)
    : options.scenario.split(',');
const selected = names.map((name) =>
  scenarios.find((scenario) => scenario.name === name),
);
for (const name of names.filter((name) => Object.hasOwn(planned, name))) {
  console.error(`The ${name} scenario is not built yet (${planned[name]}).`);
  process.exit(2);
}
if (selected.includes(undefined)) {
  console.error(`Unknown scenario in ${options.scenario}.\n\n${USAGE}`);
  process.exit(2);
}
if (options.callgrind !== undefined) {
  const uncounted = selected.filter(({ unit }) => unit === undefined);
  if (uncounted.length > 0) {
    console.error(
      `--callgrind counts instructions for connect and fanout, not ${uncounted.map(({ name }) => name).join(', ')}: choose them with --scenario.`,
    );
    process.exit(2);
  }
  mkdirSync(options.callgrind, { recursive: true });
}
if (options.perf !== undefined) {
  // perf samples a scenario's CPU measurement window, which these two do not have.
  const unsampled = selected.filter(({ name }) =>
    ['latency', 'cluster'].includes(name),
  );
  if (unsampled.length > 0) {
    console.error(
      `--perf samples fanout, connect and broadcast, not ${unsampled.map(({ name }) => name).join(', ')}: choose them with --scenario.`,
    );
    process.exit(2);
  }
  mkdirSync(options.perf, { recursive: true });
}
if (!existsSync(TARGETS.pushgate.script)) {
  console.error(
    `${TARGETS.pushgate.script} is missing: run npm run build first (npm run bench does).`,
  );
  process.exit(2);
}

const environment = { pinned, cpus: cpus().length, node: process.version };
pinSelf(LOAD_CORE);
progress(
  pinned
    ? 'servers pinned to core 0, load generator to core 1 (taskset)'
    : 'not pinned (no taskset, or a single core): figures are noisier',
);

let failed = 0;
for (const scenario of selected.map((scenario) =>
  options.callgrind === undefined ? scenario : counted(scenario),
)) {
  const settings = scenario.settings(options);
  const scenarioStart = Date.now();
  try {
    report(
      scenario,
      settings,
      await runRounds(scenario, settings, options.rounds),
      environment,
    );
  } catch (error) {
    failed++;
    console.error(`\n${scenario.name} FAILED: ${error.message}`);
  }
  progress(
    `${scenario.name} took ${((Date.now() - scenarioStart) / 1000).toFixed(0)} s`,
  );
}
process.exitCode = failed > 0 ? 1 : 0;

async function runRounds(scenario, settings, rounds) {
  const [first, second] = targetsOf(scenario);
  const runs = { [first]: [], [second]: [] };
  for (let round = 1; round <= rounds; round++) {
    // Alternating which target goes first spreads a drift of the machine over both.
    const order = round % 2 === 1 ? [first, second] : [second, first];
    for (const target of order) {
      const label = labelOf(scenario, target);
      progress(`${scenario.name} round ${round}/${rounds}: ${label}`);
      try {
        runs[target].push(await measureOnce(scenario, settings, target));
      } catch (error) {
        throw new Error(`${label}, round ${round}: ${error.message}`);
      }
    }
  }
  return runs;
}

/**
 * One measurement against a fresh server, so that no round inherits another's heap or sockets.
 * A scenario with targets of its own (`cluster`) also says how to start them.
 */
async function measureOnce(scenario, settings, target) {
  const start = scenario.start ?? startServer;
  const server = await start(target, {
    cpuProfileDir: options['cpu-prof'],
    callgrindDir: options.callgrind,
    perfDir: options.perf,
    // Callgrind would count the inspector's thread too.
    inspect: scenario.inspect === true && options.callgrind === undefined,
  });
  try {
    const result = await scenario.measure(server, settings);
    server.assertRunning();
    return {
      ...result,
      serverOutput: [...server.output],
      serverOutputLines: server.outputLines,
    };
  } catch (error) {
    server.assertRunning(); // a crash explains a failed measurement better than its symptom
    throw error;
  } finally {
    await server.stop();
  }
}
