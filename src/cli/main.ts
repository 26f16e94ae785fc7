#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { mintToken } from '../auth/mint-token.js';
import { loadSettings } from '../config/load-config.js';
import { PushClient } from '../sdk/node/push-client.js';
import { PushClientError } from '../sdk/node/push-client-error.js';
import { type Options, parse, runCommand, USAGE } from './run-command.js';
import { UsageError } from './usage-error.js';

async function main(argv: string[]): Promise<number> {
  const { values: options, positionals } = parse(argv);
  const [command, ...args] = positionals;
  if (command === undefined || command === 'help' || options.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'token') {
    console.log(await token(options));
    return 0;
  }
  const { textHost, textPort, textSecret } = loadSettings([
    'textHost',
    'textPort',
    'textSecret',
  ]);
  const client = new PushClient({
    // An address a server binds to listen everywhere is reached on loopback.
    host:
      options.host ??
      (textHost === '0.0.0.0' || textHost === '::' ? '127.0.0.1' : textHost),
    port: integer(options.port, '--port', 1, 65535) ?? textPort,
    timeoutMs: integer(options.timeout, '--timeout', 1, 3_600_000),
    // A one-shot command waits for a server that is restarting, but not for long.
    maxReconnectDelayMs: 1000,
    secret: textSecret || undefined,
    tls:
      options.ca !== undefined ? { ca: readFileSync(options.ca) } : options.tls,
  });
  try {
    console.log(
      JSON.stringify(await runCommand(command, args, options, client)),
    );
    return 0;
  } catch (error) {
    report(error);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await client.close();
  }
}

/** A token for `--uid`, signed with `PUSH_JWT_SECRET`, valid for `--ttl` seconds (default 60). */
function token(options: Options): Promise<string> {
  if (options.uid?.length !== 1) {
    throw new UsageError('token needs --uid, once');
  }
  const { jwtSecret } = loadSettings(['jwtSecret']);
  if (jwtSecret === '') {
    throw new UsageError(
      'PUSH_JWT_SECRET is not set: token signs with the secret the server checks tokens with',
    );
  }
  const ttl = integer(options.ttl, '--ttl', 1, 31_536_000) ?? 60;
  return mintToken(jwtSecret, options.uid[0], ttl);
}

function integer(
  text: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

function report(error: unknown): void {
  if (error instanceof UsageError) {
    console.error(`pushgate: ${error.message}\n\n${USAGE}`);
  } else if (error instanceof PushClientError) {
    console.error(`pushgate: ${error.code}: ${error.message}`);
  } else {
    console.error(`pushgate: ${(error as Error).message}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  report(error);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
