import { execFile } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.js';
import { WsClient } from './support/ws-client.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const TLS_CERT = fileURLToPath(
  new URL('fixtures/tls/cert.pem', import.meta.url),
);
const TLS_KEY = fileURLToPath(new URL('fixtures/tls/key.pem', import.meta.url));
const JWT_SECRET = 'jwt-secret-of-at-least-32-characters';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the pushgate command line', () => {
  let server: TestServer;
  let tab: WsClient;

  /** Runs the built CLI against the test server (through its environment, like an operator). */
  async function pushgate(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<Run> {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [CLI, ...args],
        {
          env: {
            PATH: process.env.PATH,
            PUSH_TEXT_PORT: String(server.textPort),
            ...env,
          },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return {
        code: failed.code,
        stdout: failed.stdout,
        stderr: failed.stderr,
      };
    }
  }

  beforeAll(async () => {
    server = await startServer();
    tab = await WsClient.bound(server.wsUrl, 'u1');
  });

  afterAll(async () => {
    tab.socket.terminate();
    await server.close();
  });

  it('send --uid pushes a JSON message and prints how many connections got it', async () => {
    expect(
      await pushgate(['send', '--uid', 'u1', '--message', '{"a":1}']),
    ).toEqual({
      code: 0,
      stdout: '1\n',
      stderr: '',
    });
    expect(await tab.next()).toEqual({ a: 1 });
  });

  it('sends a message that is not JSON as plain text', async () => {
    expect(
      (
        await pushgate([
          'send',
          '--uid',
          'u1',
          '--uid',
          'u2',
          '--message',
          'hello there',
        ])
      ).stdout,
    ).toBe('1\n');
    expect(await tab.next()).toBe('hello there');
  });

  it('sends to a connection, a group and everyone', async () => {
    expect(
      (await pushgate(['send', '--client', tab.clientId, '--message', '"c"']))
        .stdout,
    ).toBe('1\n');
    expect(
      (await pushgate(['send', '--group', 'nobody', '--message', 'g'])).stdout,
    ).toBe('0\n');
    expect(
      (
        await pushgate([
          'send',
          '--all',
          '--exclude',
          tab.clientId,
          '--message',
          'x',
        ])
      ).stdout,
    ).toBe('0\n');
    expect((await pushgate(['send', '--all', '--message', 'all'])).stdout).toBe(
      '1\n',
    );
    expect([await tab.next(), await tab.next()]).toEqual(['c', 'all']);
  });

  it('online answers true or false', async () => {
    expect((await pushgate(['online', '--uid', 'u1'])).stdout).toBe('true\n');
    expect((await pushgate(['online', '--uid', 'nobody'])).stdout).toBe(
      'false\n',
    );
    expect((await pushgate(['online', '--client', tab.clientId])).stdout).toBe(
      'true\n',
    );
  });

  it('stats prints the counts', async () => {
    expect(JSON.parse((await pushgate(['stats'])).stdout)).toEqual({
      clients: 1,
      uids: 1,
      groups: 0,
    });
  });

  it('call runs any command with its fields', async () => {
    const run = await pushgate([
      'call',
      'getSession',
      JSON.stringify({ client_id: tab.clientId }),
    ]);
    expect(run).toMatchObject({ code: 0, stdout: '{}\n' });
  });

  it('takes --host and --port over the environment', async () => {
    const run = await pushgate(
      ['--host', '127.0.0.1', '--port', String(server.textPort), 'stats'],
      {
        PUSH_TEXT_PORT: '1',
      },
    );
    expect(run.code).toBe(0);
  });

  it('reads no setting but the text port from the environment', async () => {
    const run = await pushgate(['stats'], {
      LOG_LEVEL: 'chatty',
      PUSH_WS_PORT: 'abc',
    });
    expect(run.code).toBe(0);
  });

  it('prints the error even when the server never closes its side', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) =>
      silent.listen(0, '127.0.0.1', resolve),
    );
    try {
      const port = String((silent.address() as AddressInfo).port);
      const run = await pushgate(['stats', '--port', port, '--timeout', '300']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^pushgate: timeout: /);
    } finally {
      silent.close();
    }
  });

  it('exits with 1 and the error code when the command fails', async () => {
    expect(await pushgate(['call', 'noSuchCommand'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'pushgate: unknown_type: unknown type "noSuchCommand"\n',
    });
    const unreachable = await pushgate(['stats', '--timeout', '300'], {
      PUSH_TEXT_PORT: '1',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^pushgate: timeout: /);
  });

  it('exits with 2 and the usage on a command line it cannot run', async () => {
    for (const args of [
      ['send', '--message', 'no target'],
      ['send', '--uid', 'u1'],
      ['online'],
      ['call'],
      ['call', 'getSession', '[1]'],
      ['frobnicate'],
      ['stats', '--port', 'eighty'],
      ['stats', '--port', '99999'],
      ['online', '--uid', 'a', '--uid', 'b'],
      ['stats', '--bogus'],
    ]) {
      const run = await pushgate(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('Usage: pushgate <command>');
    }
  });

  it('lists every subcommand in --help', async () => {
    const help = await pushgate(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'send',
      'online',
      'stats',
      'close',
      'call',
      'token',
      'help',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('close sends the message, then closes the connection', async () => {
    const other = await WsClient.bound(server.wsUrl, 'u9');
    expect(
      (
        await pushgate([
          'close',
          '--client',
          other.clientId,
          '--message',
          '{"type":"bye"}',
        ])
      ).stdout,
    ).toBe('true\n');
    expect(await other.next()).toEqual({ type: 'bye' });
    expect((await other.closed).code).toBe(1000);
  });

  it('token prints a token for the uid, signed with PUSH_JWT_SECRET, valid for --ttl seconds', async () => {
    const run = await pushgate(['token', '--uid', 'user 7', '--ttl', '90'], {
      PUSH_JWT_SECRET: JWT_SECRET,
    });
    expect(run.code).toBe(0);
    const { payload, protectedHeader } = await jwtVerify(
      run.stdout.trim(),
      new TextEncoder().encode(JWT_SECRET),
    );
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('user 7');
    expect(payload.exp! - payload.iat!).toBe(90);
  });

  it('token refuses to run without PUSH_JWT_SECRET or --uid', async () => {
    const unset = await pushgate(['token', '--uid', 'u']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('PUSH_JWT_SECRET is not set');
    const short = await pushgate(['token', '--uid', 'u'], {
      PUSH_JWT_SECRET: 'short',
    });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain(
      'PUSH_JWT_SECRET="short" must be at least 32',
    );
    expect(
      (await pushgate(['token'], { PUSH_JWT_SECRET: JWT_SECRET })).code,
    ).toBe(2);
  });

  it('reaches a text port with TLS (--ca) and a secret (PUSH_TEXT_SECRET)', async () => {
    const secured = await startServer({
      PUSH_TEXT_SECRET: 'text-secret-16+chars',
      PUSH_TEXT_TLS_CERT: TLS_CERT,
      PUSH_TEXT_TLS_KEY: TLS_KEY,
    });
    try {
      const env = { PUSH_TEXT_PORT: String(secured.textPort) };
      const run = await pushgate(['stats', '--ca', TLS_CERT], {
        ...env,
        PUSH_TEXT_SECRET: 'text-secret-16+chars',
      });
      expect(run).toMatchObject({
        code: 0,
        stdout: '{"clients":0,"uids":0,"groups":0}\n',
      });
      const wrong = await pushgate(['stats', '--ca', TLS_CERT], {
        ...env,
        PUSH_TEXT_SECRET: 'wrong-secret-123456',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^pushgate: unauthorized: wrong secret/);
    } finally {
      await secured.close();
    }
  });
});
