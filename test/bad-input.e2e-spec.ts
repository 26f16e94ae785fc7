import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineClient } from './support/line-client.js';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';

const MAX_LINE = 1024;
const MAX_FRAME = 1024;
const MAX_BACKLOG = 64 * 1024;

/** `levels` arrays nested inside each other. */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('bad input: a clear error, and nothing else lost', () => {
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

  /** A push from a fresh backend still reaches a browser bound before the bad input. */
  async function expectDelivery(tab: WsClient, uid: string): Promise<void> {
    const php = await backend();
    const reply = await php.request({
      type: 'send',
      task_id: uid,
      openid: 'still here',
    });
    expect(reply).toMatchObject({ ok: true, result: 1 });
    expect(await tab.nextNonPing()).toMatchObject({ openid: 'still here' });
  }

  beforeEach(async () => {
    server = await startServer({
      PUSH_MAX_LINE_BYTES: String(MAX_LINE),
      PUSH_MAX_FRAME_BYTES: String(MAX_FRAME),
      PUSH_MAX_REPLY_BACKLOG_BYTES: String(MAX_BACKLOG),
    });
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

  describe('on the text port', () => {
    it.each([
      ['malformed JSON', '{"type":"send",', 'bad_json'],
      ['an array', '[1,2]', 'invalid_message'],
      ['a string', '"send"', 'invalid_message'],
      ['null', 'null', 'invalid_message'],
      ['no type', '{"task_id":"u"}', 'invalid_message'],
      ['an empty type', '{"type":""}', 'invalid_message'],
      ['a type that is not a string', '{"type":7}', 'invalid_message'],
      ['an unknown type', '{"type":"sendToMars"}', 'unknown_type'],
      ['no task_id', '{"type":"send","openid":"o"}', 'invalid_message'],
      [
        'an empty task_id',
        '{"type":"send","task_id":"","openid":"o"}',
        'invalid_message',
      ],
      [
        'an object as task_id',
        '{"type":"send","task_id":{},"openid":"o"}',
        'invalid_message',
      ],
      [
        'a task_id over 256 bytes',
        `{"type":"send","task_id":"${'é'.repeat(129)}","openid":"o"}`,
        'invalid_message',
      ],
      ['no openid', '{"type":"send","task_id":"u"}', 'invalid_message'],
      [
        'a number as openid',
        '{"type":"send","task_id":"u","openid":5}',
        'invalid_message',
      ],
      [
        'nesting deeper than 64 levels',
        `{"type":"send","task_id":"u","openid":"o","data":${nested(100)}}`,
        'invalid_message',
      ],
    ])('answers %s with %s, and runs the next line', async (_, line, code) => {
      const tab = await browser('u');
      const php = await backend();
      await php.write(
        `${line}\n{"type":"send","task_id":"u","openid":"next"}\n`,
      );

      const reply = await php.next();
      expect(reply).toEqual({
        ok: false,
        error: { code, message: expect.any(String) },
      });
      expect(await tab.next()).toMatchObject({ openid: 'next' });
    });

    it('puts the id of a failed line in its reply, and says which field is wrong', async () => {
      const php = await backend();
      const reply = await php.request({
        type: 'send',
        task_id: '',
        openid: 'o',
      });
      expect(reply).toEqual({
        id: 1,
        ok: false,
        error: {
          code: 'invalid_message',
          message:
            'task_id must be a non-empty string (or a number) of at most 256 bytes',
        },
      });
    });

    it('accepts a uid of exactly 256 bytes', async () => {
      const uid = 'é'.repeat(128);
      await browser(uid);
      const php = await backend();
      expect(
        (await php.request({ type: 'send', task_id: uid, openid: 'o' })).result,
      ).toBe(1);
    });

    it('refuses an id that is neither a string nor a number', async () => {
      const php = await backend();
      await php.send({ id: { x: 1 }, type: 'send', task_id: 'u', openid: 'o' });
      expect(await php.next()).toMatchObject({
        ok: false,
        error: {
          code: 'invalid_message',
          message: '"id" must be a string or a number',
        },
      });
    });

    it('rejects an over-long line, discards it up to the newline, and goes on', async () => {
      const tab = await browser('u');
      const php = await backend();
      const long = `{"type":"send","task_id":"u","openid":"${'x'.repeat(3 * MAX_LINE)}"}`;
      // The long line arrives in pieces, and its end shares a write with the next line.
      await php.write(long.slice(0, 500));
      await php.write(long.slice(500, 2500));
      await php.write(
        `${long.slice(2500)}\n{"id":2,"type":"send","task_id":"u","openid":"next"}\n`,
      );

      expect(await php.next()).toEqual({
        ok: false,
        error: {
          code: 'line_too_long',
          message: expect.stringContaining(`${MAX_LINE} bytes`),
        },
      });
      expect(await php.next()).toEqual({ id: 2, ok: true, result: 1 });
      expect(await tab.next()).toMatchObject({ openid: 'next' });
    });

    it('rejects an over-long line that arrives whole, between two good ones', async () => {
      const tab = await browser('u');
      const php = await backend();
      const good = (openid: string) =>
        `{"type":"send","task_id":"u","openid":"${openid}"}\n`;
      await php.write(
        good('before') +
          `{"type":"send","pad":"${'x'.repeat(MAX_LINE)}"}\n` +
          good('after'),
      );

      expect(await php.next()).toMatchObject({
        error: { code: 'line_too_long' },
      });
      expect(await tab.next()).toMatchObject({ openid: 'before' });
      expect(await tab.next()).toMatchObject({ openid: 'after' });
    });

    it('tells a backend that ends in the middle of a line that the line was lost', async () => {
      const tab = await browser('u');
      const php = await backend();
      await php.write(
        '{"type":"send","task_id":"u","openid":"whole"}\n{"type":"send","task_id":"u"',
      );
      await php.end();

      expect(php.lines.pending.map((line) => JSON.parse(line))).toEqual([
        {
          ok: false,
          error: { code: 'incomplete_line', message: expect.any(String) },
        },
      ]);
      expect(await tab.next()).toMatchObject({ openid: 'whole' });
    });

    it('survives a backend that disconnects abruptly in the middle of a line', async () => {
      const tab = await browser('u');
      const php = await backend();
      await php.write(
        '{"type":"send","task_id":"u","openid":"whole"}\n{"type":"send","task_',
      );
      php.socket.resetAndDestroy();

      expect(await tab.next()).toMatchObject({ openid: 'whole' });
      await expectDelivery(tab, 'u');
    });

    it('runs every good line of a backend that writes 20,000 lines, one bad, and closes at once', async () => {
      const tab = await browser('u');
      const lines = Array.from({ length: 20_000 }, (_, i) =>
        i === 10
          ? 'not json'
          : JSON.stringify({ type: 'send', task_id: 'u', openid: String(i) }),
      );
      const php = await backend();
      php.socket.end(lines.join('\n') + '\n'); // like PHP: write everything, close, read nothing

      for (let i = 0; i < 20_000; i++) {
        if (i !== 10) {
          expect((await tab.next()).openid).toBe(String(i));
        }
      }
    });

    it('answers a line that is not UTF-8 with bad_json instead of rewriting it', async () => {
      const tab = await browser('café');
      const php = await backend();
      await php.write(
        Buffer.concat([
          Buffer.from(
            '{"type":"send","task_id":"caf\xe9","openid":"latin-1"}\n',
            'latin1',
          ),
          Buffer.from('{"type":"send","task_id":"café","openid":"utf-8"}\n'),
        ]),
      );
      expect(await php.next()).toEqual({
        ok: false,
        error: {
          code: 'bad_json',
          message: expect.stringContaining('not valid UTF-8'),
        },
      });
      expect(await tab.next()).toMatchObject({ openid: 'utf-8' });
    });

    it('answers a uid with a lone surrogate with invalid_message', async () => {
      const php = await backend();
      await php.write(
        '{"id":1,"type":"send","task_id":"\\ud800","openid":"o"}\n',
      );
      expect(await php.next()).toMatchObject({
        id: 1,
        error: { code: 'invalid_message' },
      });
    });

    it('closes a backend that never reads its replies, and serves everyone else', async () => {
      const tab = await browser('u');
      const deaf = await backend();
      deaf.socket.pause();
      // Each reply echoes a 900-byte id: 20 MB of replies, far more than the kernel buffers
      // between the two sockets and the server's backlog limit together.
      const line =
        JSON.stringify({
          id: 'i'.repeat(900),
          type: 'send',
          task_id: 'nobody',
          openid: 'o',
        }) + '\n';
      deaf.socket.write(line.repeat(20_000));

      await deaf.closed;
      expect(server.app.getHttpServer().listening).toBe(true);
      await expectDelivery(tab, 'u');
    });
  });

  describe('on the WebSocket', () => {
    it.each([
      ['malformed JSON', '{"type":', 'bad_json'],
      ['an array', '[]', 'invalid_message'],
      ['no type', '{"task_id":"u"}', 'invalid_message'],
      ['an unknown type', '{"type":"subscribe"}', 'unknown_type'],
      ['init without task_id', '{"type":"init"}', 'invalid_message'],
      [
        'init with an empty task_id',
        '{"type":"init","task_id":""}',
        'invalid_message',
      ],
      [
        'init with a task_id over 256 bytes',
        `{"type":"init","task_id":"${'x'.repeat(257)}"}`,
        'invalid_message',
      ],
      [
        'nesting deeper than 64 levels',
        `{"type":"pong","x":${nested(100)}}`,
        'invalid_message',
      ],
      [
        'a backend command',
        '{"type":"send","task_id":"u","openid":"o"}',
        'forbidden',
      ],
    ])(
      'answers %s with %s and keeps the connection',
      async (_, frame, code) => {
        const tab = await browser();
        tab.send(frame);
        expect(await tab.next()).toEqual({
          type: 'error',
          code,
          message: expect.any(String),
        });

        await tab.init('u');
        await expectDelivery(tab, 'u');
      },
    );

    it('answers init with a lone surrogate in the uid with invalid_message', async () => {
      const tab = await browser();
      tab.send('{"type":"init","task_id":"\\udc00x"}');
      expect(await tab.next()).toMatchObject({
        type: 'error',
        code: 'invalid_message',
      });
    });

    it('answers a binary frame with binary_frame and keeps the connection', async () => {
      const tab = await browser();
      tab.socket.send(Buffer.from('{"type":"init","task_id":"u"}'), {
        binary: true,
      });
      expect(await tab.next()).toMatchObject({
        type: 'error',
        code: 'binary_frame',
      });
      await tab.init('u');
      await expectDelivery(tab, 'u');
    });

    it('pushes nothing when a browser sends send', async () => {
      const victim = await browser('victim');
      const attacker = await browser();
      attacker.send({ type: 'send', task_id: 'victim', openid: 'forged' });
      expect(await attacker.next()).toMatchObject({
        type: 'error',
        code: 'forbidden',
      });

      await expectDelivery(victim, 'victim');
    });

    it('closes a connection that sends a frame over the limit with 1009, and only that one', async () => {
      const bystander = await browser('u');
      const tab = await browser();
      tab.send({ type: 'init', task_id: 'x'.repeat(MAX_FRAME) });

      expect((await tab.closed).code).toBe(1009);
      await expectDelivery(bystander, 'u');
    });

    it('takes the WebSocket at / with or without a query, and at a path that means /', async () => {
      for (const path of ['/', '/?token=abc', '/./', '/a/../?x=1']) {
        const tab = await WsClient.connect(server.wsUrl + path);
        open.push(tab);
        await tab.init(`u${path}`);
      }
    });

    it('drops an upgrade to another path, and serves everyone else', async () => {
      const bystander = await browser('u');
      for (const path of ['/other', '/other?x=/']) {
        await expect(WsClient.connect(server.wsUrl + path)).rejects.toThrow(
          /socket hang up/,
        );
      }
      // A path that is no URL at all (the host part of a protocol-relative URL, empty).
      expect(await WsClient.refusal(server.wsUrl + '//')).toBe(400);
      await expectDelivery(bystander, 'u');
    });

    it('lets other connections of a uid go on when one drops without a close frame', async () => {
      const dropped = await browser('u');
      const staying = await browser('u');
      dropped.socket.terminate();
      await dropped.closed;

      await expectDelivery(staying, 'u');
    });
  });
});
