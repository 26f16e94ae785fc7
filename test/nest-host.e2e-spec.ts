import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushClient } from '../src/sdk/node/push-client.js';
import { ServerProcess } from './support/server-process.js';
import { WsClient } from './support/ws-client.js';

const HOST_MAIN = fileURLToPath(
  new URL('../examples/nest-host/dist/main.js', import.meta.url),
);

describe('examples/nest-host: a team application that embeds Pushgate', () => {
  let host: ServerProcess;
  let base: string;
  let push: PushClient;
  const tabs: WsClient[] = [];

  async function browser(uid: string): Promise<WsClient> {
    const tab = await WsClient.bound(`ws://${base}`, uid);
    tabs.push(tab);
    return tab;
  }

  beforeAll(async () => {
    host = ServerProcess.start(
      { PUSH_WS_HOST: '127.0.0.1', PUSH_WS_PORT: '0', PUSH_TEXT_PORT: '0' },
      HOST_MAIN,
    );
    const ws = await host.waitFor(/WebSocket +ws:\/\/(127\.0\.0\.1:\d+)/);
    const text = await host.waitFor(/Text +tcp:\/\/127\.0\.0\.1:(\d+)/);
    base = ws[1];
    push = new PushClient({ port: Number(text[1]) });
  });

  afterAll(async () => {
    tabs.forEach((tab) => tab.socket.terminate());
    await push.close();
    host.kill();
  });

  it("relays the team's own chat message to the room, alongside Pushgate's init", async () => {
    const [ann, bob, eve] = [
      await browser('ann'),
      await browser('bob'),
      await browser('eve'),
    ];
    for (const tab of [ann, bob]) {
      tab.send({ type: 'join', room: 'lobby' });
      expect(await tab.next()).toEqual({ type: 'joined', room: 'lobby' });
    }

    ann.send({ type: 'chat', room: 'lobby', text: 'hi all' });

    expect(await ann.next()).toEqual({ type: 'chat_ok', delivered: 1 });
    expect(await bob.next()).toEqual({
      type: 'chat',
      room: 'lobby',
      text: 'hi all',
      from: 'ann',
    });
    eve.send({ type: 'chat', room: 'lobby', text: 'let me in' });
    expect(await eve.next()).toMatchObject({
      type: 'error',
      code: 'not_in_room',
    });
  });

  it("serves two modules' gateways and Pushgate's on one WebSocket", async () => {
    const tab = await browser('zoe');
    tab.send({ type: 'whoami' });
    expect(await tab.next()).toEqual({
      type: 'you_are',
      client_id: tab.clientId,
      uid: 'zoe',
    });
    tab.send({ type: 'chat', room: 'lobby' });
    expect(await tab.next()).toMatchObject({
      type: 'error',
      code: 'invalid_message',
    });
    tab.send({ type: 'dance' });
    expect(await tab.next()).toMatchObject({
      type: 'error',
      code: 'unknown_type',
    });
    tab.send({ type: 'sendToAll', message: 'forged' });
    expect(await tab.next()).toMatchObject({
      type: 'error',
      code: 'forbidden',
    });
  });

  it("runs the team's own text command with Pushgate's framing, validation and replies", async () => {
    const tab = await browser('carl');
    expect(
      await push.request('myCommand', { uid: 'carl', order: 'A-17' }),
    ).toBe(1);
    expect(await tab.next()).toEqual({ type: 'order_paid', order: 'A-17' });
    await expect(
      push.request('myCommand', { uid: 'carl' }),
    ).rejects.toMatchObject({
      code: 'invalid_message',
      message: 'order must be a string',
    });
  });

  it('pushes from an HTTP controller through PushService, and counts binds with @OnEvent', async () => {
    const tab = await browser('dana');
    const response = await fetch(`http://${base}/orders/dana/shipped`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 'B-2' }),
    });
    expect(await response.json()).toEqual({ delivered: 1 });
    expect(await tab.next()).toEqual({ type: 'order_shipped', order: 'B-2' });

    const binds = await (await fetch(`http://${base}/orders/binds`)).json();
    expect(binds).toEqual({ binds: tabs.length, last_uid: 'dana' });
  });
});
