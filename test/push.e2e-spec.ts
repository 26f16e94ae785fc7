import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineClient } from './support/line-client.js';
import { metric } from './support/metrics.js';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';

describe('push: a backend line reaches the browsers of a uid', () => {
  let server: TestServer;
  const open: Array<WsClient | LineClient> = [];

  async function browser(uid?: string): Promise<WsClient> {
    const client = uid
      ? await WsClient.bound(server.wsUrl, uid)
      : await WsClient.connect(server.wsUrl);
    open.push(client);
    return client;
  }

  async function backend(): Promise<LineClient> {
    const client = await LineClient.connect(server.textPort);
    open.push(client);
    return client;
  }

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    open
      .splice(0)
      .forEach((client) =>
        client instanceof WsClient
          ? client.socket.terminate()
          : client.destroy(),
      );
    await server.close();
  });

  it('does the exchange of the PHP original, byte for byte', async () => {
    const tab = await browser();
    tab.send('{"type":"init","task_id":"task 123456"}');
    const initOk = await tab.next();
    expect(initOk).toEqual({
      type: 'init_ok',
      task_id: 'task 123456',
      client_id: expect.any(String),
    });

    const php = await backend();
    await php.write(
      '{"type":"send","task_id":"task 123456","openid":"open id 8888"}\n',
    );
    php.destroy(); // PHP may close at once, without reading anything

    const pushed = await new Promise<string>((resolve) =>
      tab.socket.once('message', (data) =>
        resolve((data as Buffer).toString()),
      ),
    );
    expect(pushed).toBe(
      '{"type":"login_status","openid":"open id 8888","data":null}',
    );
  });

  it('negotiates no extension with a browser that offers compression, and pushes plain frames', async () => {
    const tab = await WsClient.connect(server.wsUrl, {
      perMessageDeflate: true,
    });
    open.push(tab);
    expect(tab.socket.extensions).toBe('');
    await tab.init('zip');
    const php = await backend();
    await php.write('{"type":"send","task_id":"zip","openid":"o"}\n');
    expect(await tab.nextNonPing()).toEqual({
      type: 'login_status',
      openid: 'o',
      data: null,
    });
  });

  it('passes any JSON value through as data', async () => {
    const tab = await browser('u1');
    const php = await backend();
    const values = [
      { nested: { list: [1, 'two', null] } },
      [1, 2],
      'text',
      0,
      false,
    ];
    for (const data of values) {
      await php.send({ type: 'send', task_id: 'u1', openid: 'o', data });
    }
    for (const data of values) {
      expect(await tab.next()).toEqual({
        type: 'login_status',
        openid: 'o',
        data,
      });
    }
  });

  it('delivers to every connection bound to the uid, and replies with their number', async () => {
    const first = await browser('shared');
    const second = await browser('shared');
    const other = await browser('someone else');
    const php = await backend();

    const reply = await php.request({
      type: 'send',
      task_id: 'shared',
      openid: 'o',
    });

    expect(reply).toEqual({ id: 1, ok: true, result: 2 });
    expect(await first.next()).toMatchObject({ type: 'login_status' });
    expect(await second.next()).toMatchObject({ type: 'login_status' });
    expect(other.messages.pending).toEqual([]);
  });

  it('treats a uid without connections as a normal send that reached nobody, kept for it', async () => {
    const php = await backend();
    const reply = await php.request({
      type: 'send',
      task_id: 'nobody',
      openid: 'o',
    });
    expect(reply).toEqual({ id: 1, ok: true, result: 0, buffered: 1 });
  });

  it('accepts a JSON number as a uid and treats it as its decimal string', async () => {
    const tab = await browser();
    tab.send({ type: 'init', task_id: 123456 });
    expect(await tab.next()).toMatchObject({
      type: 'init_ok',
      task_id: '123456',
    });
    const php = await backend();
    const reply = await php.request({
      type: 'send',
      task_id: '123456',
      openid: 'o',
    });
    expect(reply.result).toBe(1);
  });

  it('moves a connection to the new uid when it sends init again', async () => {
    const tab = await browser('before');
    const php = await backend();
    await tab.init('after');

    expect(
      (await php.request({ type: 'send', task_id: 'before', openid: 'o' }))
        .result,
    ).toBe(0);
    expect(
      (await php.request({ type: 'send', task_id: 'after', openid: 'o' }))
        .result,
    ).toBe(1);
    expect(await tab.next()).toMatchObject({ type: 'login_status' });
  });

  it('unbinds a connection when it closes', async () => {
    const leaving = await browser('u');
    const staying = await browser('u');
    await leaving.close();
    const php = await backend();

    const reply = await php.request({
      type: 'send',
      task_id: 'u',
      openid: 'o',
    });

    expect(reply.result).toBe(1);
    expect(await staying.next()).toMatchObject({ type: 'login_status' });
  });

  it('delivers 1,000 lines sent in one TCP write, all of them, in order, and times each', async () => {
    const tab = await browser('bulk');
    const php = await backend();
    const lines = Array.from(
      { length: 1000 },
      (_, i) =>
        JSON.stringify({
          type: 'send',
          task_id: 'bulk',
          openid: 'o',
          data: i,
        }) + '\n',
    );
    await php.write(lines.join(''));

    for (let i = 0; i < 1000; i++) {
      expect((await tab.next()).data).toBe(i);
    }
    // The lines of one read are timed together, and counted one by one.
    for (const series of ['_count', '_bucket{le="+Inf"}']) {
      await expect
        .poll(() =>
          metric(server.ws.port, `pushgate_push_latency_seconds${series}`),
        )
        .toBe(1000);
    }
  });

  it('answers each line of a run of sends on its own, good and bad mixed, in order', async () => {
    const tab = await browser('u');
    const php = await backend();
    const send = (fields: object) =>
      JSON.stringify({ type: 'send', task_id: 'u', ...fields });
    await php.write(
      [
        send({ openid: 'first' }),
        send({ id: 2, openid: 7 }),
        send({ id: 3, openid: 'third' }),
        '{"type":"sendToUid","uid":"u","message":"between"}',
        send({ openid: 'fourth', task_id: '' }),
        send({ id: 6, openid: 'sixth', task_id: 'nobody' }),
        send({ openid: 'last' }),
      ].join('\n') + '\n',
    );

    expect(await php.next()).toEqual({
      id: 2,
      ok: false,
      error: { code: 'invalid_message', message: 'openid must be a string' },
    });
    expect(await php.next()).toEqual({ id: 3, ok: true, result: 1 });
    expect(await php.next()).toMatchObject({
      ok: false,
      error: { code: 'invalid_message' },
    });
    expect(await php.next()).toEqual({
      id: 6,
      ok: true,
      result: 0,
      buffered: 1,
    });
    const pushed = [
      await tab.next(),
      await tab.next(),
      await tab.next(),
      await tab.next(),
    ];
    expect(pushed.map((m) => (typeof m === 'string' ? m : m.openid))).toEqual([
      'first',
      'third',
      'between',
      'last',
    ]);
  });

  it('reassembles a line split across writes, even inside a multi-byte character', async () => {
    const tab = await browser('ünï');
    const php = await backend();
    const line = Buffer.from(
      '{"type":"send","task_id":"ünï","openid":"o","data":"日本語 ✓"}\r\n',
    );
    const insideCharacter = line.indexOf(Buffer.from('本')) + 1;
    await php.write(line.subarray(0, 10));
    await php.write(line.subarray(10, insideCharacter));
    await php.write(line.subarray(insideCharacter));

    expect(await tab.next()).toEqual({
      type: 'login_status',
      openid: 'o',
      data: '日本語 ✓',
    });
  });

  it('answers every line of a backend that half-closes, then closes too', async () => {
    const tab = await browser('u');
    const php = await backend();
    await php.write(
      '{"id":1,"type":"send","task_id":"u","openid":"a"}\n{"id":2,"type":"send","task_id":"u","openid":"b"}\n',
    );
    await php.end();

    expect(php.lines.pending.map((line) => JSON.parse(line))).toEqual([
      { id: 1, ok: true, result: 1 },
      { id: 2, ok: true, result: 1 },
    ]);
    expect((await tab.next()).openid).toBe('a');
    expect((await tab.next()).openid).toBe('b');
  });
});
