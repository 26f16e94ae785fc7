import { Backend } from '../lib/backend.mjs';
import { addProblems } from '../lib/problems.mjs';
import { withReceivers } from '../lib/receiver-pool.mjs';
import { DRAIN, OPEN_TIMEOUT_MS } from './limits.mjs';

const GROUP = 'everyone';
/** @type {Array<[string, Record<string, string>]>} */
const KINDS = [
  ['sendToAll', {}],
  ['sendToGroup', { group: GROUP }],
];

/**
 * C connections, all in one group; the backend writes B `sendToAll` lines back to back, waits
 * until every delivery arrived, then the same with B `sendToGroup` lines.
 */
export const broadcast = {
  name: 'broadcast',
  settings: ({ clients, broadcasts, quick }) => ({
    clients: clients ?? (quick ? 1000 : 5000),
    broadcasts: broadcasts ?? (quick ? 5 : 20),
  }),
  describe: ({ clients, broadcasts }) =>
    `${clients.toLocaleString('en')} clients in one group, ${broadcasts} sendToAll then ${broadcasts} sendToGroup`,
  figures: [
    { key: 'sendToAllPerSec', label: 'sendToAll deliveries/s', digits: 0 },
    {
      key: 'sendToAllCpuUs',
      label: 'sendToAll server CPU per delivery (µs)',
      digits: 2,
    },
    { key: 'sendToGroupPerSec', label: 'sendToGroup deliveries/s', digits: 0 },
    {
      key: 'sendToGroupCpuUs',
      label: 'sendToGroup server CPU per delivery (µs)',
      digits: 2,
    },
    { key: 'lost', label: 'lost (worst round)', digits: 0, aggregate: 'max' },
  ],

  async measure(server, { clients, broadcasts }) {
    return withReceivers(clients, async (receivers) => {
      const clientIds = await receivers.open(
        server.wsUrl,
        clients,
        OPEN_TIMEOUT_MS,
      );
      const backend = await Backend.connect(server.textPort);
      try {
        await joinAll(backend, clientIds);
        // One of each, unmeasured: the kind measured first must not pay for the JIT warm-up.
        await backend.write(
          KINDS.map(([type, fields]) => broadcastLine(type, fields)).join(''),
        );
        const warmedUp = await receivers.waitFor(clients * KINDS.length, DRAIN);
        const figures = { lost: clients * KINDS.length - warmedUp };
        const problems = {};
        for (const [type, fields] of KINDS) {
          await receivers.reset();
          const window = await server.window();
          const start = process.hrtime.bigint();
          let lines = '';
          for (let i = 0; i < broadcasts; i++) {
            lines += broadcastLine(type, fields);
          }
          await backend.write(lines);
          await receivers.waitFor(clients * broadcasts, DRAIN);
          const { cpuSeconds } = await window.close();
          const report = await receivers.report();
          const seconds = Number(report.lastReceivedAt - start) / 1e9;
          figures[`${type}PerSec`] = report.received / seconds;
          figures[`${type}CpuUs`] = (cpuSeconds * 1e6) / report.received;
          figures.lost += clients * broadcasts - report.received;
          addProblems(problems, report.problems);
        }
        return { figures, problems: addProblems(problems, backend.problems) };
      } finally {
        backend.close();
      }
    });
  },
};

function broadcastLine(type, fields) {
  const message = { type: 'bench', data: String(process.hrtime.bigint()) };
  return JSON.stringify({ type, ...fields, message }) + '\n';
}

/** Puts every client in GROUP; the last join is a request, whose reply means all have run. */
async function joinAll(backend, clientIds) {
  const join = (clientId) => ({
    type: 'joinGroup',
    client_id: clientId,
    group: GROUP,
  });
  await backend.write(
    clientIds
      .slice(0, -1)
      .map((id) => JSON.stringify(join(id)) + '\n')
      .join(''),
  );
  await backend.request(join(clientIds.at(-1)));
}
