import { afterEach, describe, expect, it } from 'vitest';
import { LineClient } from './support/line-client.js';
import { ServerProcess } from './support/server-process.js';
import { WsClient } from './support/ws-client.js';

const LOOPBACK = {
  PUSH_WS_HOST: '127.0.0.1',
  PUSH_WS_PORT: '0',
  PUSH_TEXT_PORT: '0',
};

describe('the server process', () => {
  let server: ServerProcess | undefined;

  afterEach(() => {
    server?.kill();
    server = undefined;
  });

  async function startProcess(env: Record<string, string> = {}) {
    server = ServerProcess.start({ ...LOOPBACK, ...env });
    const { ws, text } = await server.ports();
    return { server, wsPort: ws, textPort: text };
  }

  it('logs one line per listener at start-up, with the ports it really bound', async () => {
    const { server, wsPort, textPort } = await startProcess({
      PUSH_JWT_SECRET: 'k'.repeat(32),
    });
    expect(wsPort).toBeGreaterThan(0);
    expect(textPort).toBeGreaterThan(0);
    expect(server.output).toHaveLength(2);
  });

  it('warns at start-up when any client can bind any uid', async () => {
    const { server } = await startProcess();
    expect(server.output).toHaveLength(3);
    expect(server.output[0]).toMatch(
      /WARN .*Any client can bind any uid: set PUSH_JWT_SECRET/,
    );
  });

  it('on SIGTERM closes WebSockets with 1001, answers pending lines, and exits 0 within 5 s', async () => {
    const { server, wsPort, textPort } = await startProcess();
    const tabs = await Promise.all([
      WsClient.bound(`ws://127.0.0.1:${wsPort}`, 'u'),
      WsClient.bound(`ws://127.0.0.1:${wsPort}`, 'u'),
    ]);
    const php = await LineClient.connect(textPort);
    expect(
      await php.request({ type: 'send', task_id: 'u', openid: 'o' }),
    ).toMatchObject({ result: 2 });

    const signalled = Date.now();
    server.child.kill('SIGTERM');

    const closes = await Promise.all(tabs.map((tab) => tab.closed));
    expect(closes).toEqual([
      { code: 1001, reason: 'server shutting down' },
      { code: 1001, reason: 'server shutting down' },
    ]);
    await php.closed;
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(5000);
  });

  it('on SIGTERM runs the lines already received before closing the WebSockets, and answers them', async () => {
    const { server, wsPort, textPort } = await startProcess();
    const tab = await WsClient.bound(`ws://127.0.0.1:${wsPort}`, 'u');
    const php = await LineClient.connect(textPort);
    const lines = Array.from(
      { length: 20_000 },
      (_, id) =>
        JSON.stringify({ id, type: 'send', task_id: 'u', openid: 'o' }) + '\n',
    );
    await php.write(lines.join(''));
    server.child.kill('SIGTERM');

    const [close] = await Promise.all([tab.closed, php.closed]);
    expect(close.code).toBe(1001);
    const replies = php.lines.pending.map((line) => JSON.parse(line));
    const delivered = tab.messages.pending.filter(
      (m) => m.type === 'login_status',
    );
    // Every line that ran was answered, and reached the browser: none ran after it was gone.
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((reply) => reply.ok && reply.result === 1)).toBe(true);
    expect(delivered).toHaveLength(replies.length);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await expect(LineClient.connect(textPort)).rejects.toThrow('ECONNREFUSED');
  });

  it('logs one JSON object per line with LOG_FORMAT=json', async () => {
    server = ServerProcess.start({ ...LOOPBACK, LOG_FORMAT: 'json' });
    const line = JSON.parse((await server.waitFor(/^\{.*"Text .*$/))[0]);
    expect(line).toMatchObject({
      level: 'log',
      context: 'Pushgate',
      message: expect.stringMatching(/^Text +tcp:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(server.output.every((text) => JSON.parse(text))).toBe(true);
  });

  it('refuses to start on an invalid setting, naming the variable', async () => {
    server = ServerProcess.start({
      ...LOOPBACK,
      PUSH_PING_INTERVAL_MS: 'soon',
    });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.output.join('\n')).toContain(
      'PUSH_PING_INTERVAL_MS="soon" must be an integer from 10 to 3600000',
    );
  });

  it('refuses to start when a port is taken, saying which', async () => {
    const first = await startProcess();
    const second = ServerProcess.start({
      ...LOOPBACK,
      PUSH_TEXT_PORT: String(first.textPort),
    });
    try {
      expect(await second.exited).toEqual({ code: 1, signal: null });
      expect(second.output.join('\n')).toContain(`EADDRINUSE`);
      expect(second.output.join('\n')).toContain(String(first.textPort));
    } finally {
      second.kill();
    }
  });
});
