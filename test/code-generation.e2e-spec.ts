import { afterEach, describe, expect, it } from 'vitest';
import { LineClient } from './support/line-client.js';
import { ServerProcess } from './support/server-process.js';
import { type Json, WsClient } from './support/ws-client.js';

/** Lines that exercise each kind of rule a DTO has, good and bad. */
const LINES: Json[] = [
  { type: 'send', task_id: 'u', openid: 'o', data: { n: 1 } },
  { type: 'send', task_id: 7, openid: 'o' },
  { type: 'send', openid: 'o' },
  { type: 'send', task_id: '', openid: 'o' },
  { type: 'send', task_id: '\ud800', openid: 'o' },
  { type: 'send', task_id: 'u', openid: 5 },
  { type: 'send', task_id: 'u', openid: 'o', ack: 'yes' },
  { type: 'send', task_id: 'u', openid: 'o', ack_timeout_ms: 0.5 },
  { type: 'sendToUid', uid: ['u', ''], message: 'hi' },
  { type: 'sendToGroup', message: 'hi' },
  { type: 'sendToGroup', groups: ['g', 3], message: null },
  { type: 'sendToGroup', group: 'g', message: 'hi', exclude: [1] },
];

const GENERIC = /WARN .*Code generation from strings is disallowed/;

/**
 * Pushgate compiles a check and a copy of its own for each DTO class (`new Function`). Under
 * `node --disallow-code-generation-from-strings` it validates and copies generically instead:
 * such a server must answer every line, and push, exactly as one that may generate code.
 */
describe('a server started with --disallow-code-generation-from-strings', () => {
  const servers: ServerProcess[] = [];
  const clients: Array<LineClient | WsClient> = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) {
      if (client instanceof LineClient) {
        client.destroy();
      } else {
        await client.close();
      }
    }
    await Promise.all(
      servers.splice(0).map((server) => {
        server.kill();
        return server.exited;
      }),
    );
  });

  async function run(env: Record<string, string>) {
    const server = ServerProcess.start({
      PUSH_WS_HOST: '127.0.0.1',
      PUSH_WS_PORT: '0',
      PUSH_TEXT_PORT: '0',
      ...env,
    });
    servers.push(server);
    const { ws, text } = await server.ports();
    const tab = await WsClient.bound(`ws://127.0.0.1:${ws}`, 'u');
    clients.push(tab);
    tab.send({ type: 'init', task_id: '', recover: 1 });
    const refused = await tab.nextNonPing();
    const php = await LineClient.connect(text);
    clients.push(php);
    const replies: Json[] = [];
    for (const line of LINES) {
      replies.push(await php.request(line));
    }
    const pushed = await tab.nextNonPing();
    return { server, answers: { replies, refused, pushed } };
  }

  it('says so once, and answers every line and a refused init word for word as a server that may', async () => {
    const [generated, generic] = await Promise.all([
      run({}),
      run({ NODE_OPTIONS: '--disallow-code-generation-from-strings' }),
    ]);

    await generic.server.waitFor(GENERIC);
    expect(
      generic.server.output.filter((line) => GENERIC.test(line)),
    ).toHaveLength(1);
    expect(generated.server.output.some((line) => GENERIC.test(line))).toBe(
      false,
    );
    expect(generic.answers).toEqual(generated.answers);
    expect(generic.answers.pushed).toEqual({
      type: 'login_status',
      openid: 'o',
      data: { n: 1 },
    });
    expect(generic.answers.refused).toMatchObject({
      type: 'error',
      code: 'invalid_message',
    });
    const codes = generic.answers.replies.map((reply: Json) =>
      reply.ok ? 'ok' : reply.error.code,
    );
    expect(codes).toEqual([
      'ok',
      'ok',
      ...Array<string>(LINES.length - 2).fill('invalid_message'),
    ]);
  });
});
