import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/mint-token.js';
import { ServerProcess } from './support/server-process.js';
import { WsClient } from './support/ws-client.js';

const HOST = fileURLToPath(
  new URL('fixtures/strict-pipes-host.mjs', import.meta.url),
);
const JWT_SECRET = 'a-secret-of-at-least-32-characters!!';

/**
 * Pushgate's gateway validates its own messages: an embedding application's global pipes must
 * neither strip fields Pushgate reads (the token in `init`) nor refuse its messages, nor take the
 * socket for something to validate.
 */
describe('Pushgate embedded in an application with a strict global ValidationPipe', () => {
  let host: ServerProcess;
  let base: string;
  const tabs: WsClient[] = [];

  async function browser(): Promise<WsClient> {
    const tab = await WsClient.connect(`ws://${base}`);
    tabs.push(tab);
    return tab;
  }

  /** A browser that has sent `init` for `uid`, with a token for it. */
  async function initWithToken(uid: string): Promise<WsClient> {
    const tab = await browser();
    tab.send({
      type: 'init',
      task_id: uid,
      token: await mintToken(JWT_SECRET, uid, 60),
    });
    return tab;
  }

  beforeAll(async () => {
    host = ServerProcess.start(
      {
        PUSH_WS_HOST: '127.0.0.1',
        PUSH_WS_PORT: '0',
        PUSH_TEXT_PORT: '0',
        PUSH_JWT_SECRET: JWT_SECRET,
        // Nest's own logger, as the application keeps it: plain lines to read the ports from.
        NO_COLOR: '1',
      },
      HOST,
    );
    base = `127.0.0.1:${(await host.ports()).ws}`;
  });

  afterAll(async () => {
    tabs.forEach((tab) => tab.socket.terminate());
    host.kill();
    await host.exited;
  });

  it("refuses a field its own route's DTO does not declare: the pipe is at work", async () => {
    const post = (body: unknown) =>
      fetch(`http://${base}/names`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect((await post({ name: 'ann' })).status).toBe(201);
    expect((await post({ name: 'ann', extra: 1 })).status).toBe(400);
  });

  it('binds a uid with the token sent in init', async () => {
    const tab = await initWithToken('ann');

    expect(await tab.next()).toMatchObject({ type: 'init_ok', task_id: 'ann' });
  });

  it("answers Pushgate's own invalid_message for bad init and ack, and keeps running", async () => {
    const tab = await browser();
    for (const bad of [
      { type: 'init', task_id: '' },
      { type: 'ack', position: 'first' },
    ]) {
      tab.send(bad);
      expect(await tab.next()).toMatchObject({
        type: 'error',
        code: 'invalid_message',
      });
    }
    const next = await initWithToken('bob');
    expect(await next.next()).toMatchObject({ type: 'init_ok' });
  });
});
