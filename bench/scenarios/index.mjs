import { broadcast } from './broadcast.mjs';
import { cluster } from './cluster.mjs';
import { connect } from './connect.mjs';
import { fanout } from './fanout.mjs';
import { latency } from './latency.mjs';

import { TARGETS } from '../lib/server-process.mjs';

/**
 * Every scenario, in the order `--scenario all` runs them. A scenario is `{ name, settings,
 * describe, figures, measure }`: `measure(server, settings)` runs once against one started
 * server and returns `{ figures, problems }`; the runner does the rounds, medians and ratios.
 * By default it compares Pushgate with the baseline; a scenario may name two `targets` of its
 * own instead, with their `labels` and a `start(target, options)` that starts one.
 */
export const scenarios = [fanout, latency, connect, broadcast, cluster];

/** Scenarios that wait for a feature of Pushgate, by name, with what they will measure. */
export const planned = {};

/** The two targets a scenario compares: the measured one first, the reference second. */
export function targetsOf(scenario) {
  return scenario.targets ?? ['pushgate', 'baseline'];
}

export function labelOf(scenario, target) {
  return scenario.labels?.[target] ?? TARGETS[target].label;
}
