import { broadcast } from './broadcast.mjs';
import { connect } from './connect.mjs';
import { fanout } from './fanout.mjs';
import { latency } from './latency.mjs';

/**
 * Every scenario, in the order `--scenario all` runs them. A scenario is `{ name, settings,
 * describe, figures, measure }`: `measure(server, settings)` runs once against one started
 * server and returns `{ figures, problems }`; the runner does the rounds, medians and ratios.
 */
export const scenarios = [fanout, latency, connect, broadcast];

/**
 * Scenarios that wait for a feature of Pushgate. `cluster` joins the list above once cluster
 * mode exists; its `measure` will need two servers, so the runner will then start a pair.
 */
export const planned = {
  cluster:
    'push through node B to clients on node A: it comes with cluster mode',
};
