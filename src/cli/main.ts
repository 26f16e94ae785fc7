#!/usr/bin/env node
import { loadConfig } from '../config/load-config.js';
import { PushClient } from '../sdk/node/push-client.js';
import { PushClientError } from '../sdk/node/push-client-error.js';
import { parse, runCommand, USAGE } from './run-command.js';
import { UsageError } from './usage-error.js';

/** Addresses a server listens on but a client cannot connect to. */
const WILDCARDS = new Set(['0.0.0.0', '::']);

async function main(argv: string[]): Promise<number> {
  const { values: options, positionals } = parse(argv);
  const [command, ...args] = positionals;
  if (command === undefined || command === 'help' || options.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const client = new PushClient({
    host:
      options.host ??
      (WILDCARDS.has(config.textHost) ? '127.0.0.1' : config.textHost),
    port: integer(options.port, '--port') ?? config.textPort,
    timeoutMs: integer(options.timeout, '--timeout'),
    // A one-shot command waits for a server that is restarting, but not for long.
    maxReconnectDelayMs: 1000,
  });
  try {
    console.log(
      JSON.stringify(await runCommand(command, args, options, client)),
    );
    return 0;
  } finally {
    await client.close();
  }
}

function integer(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(text)) {
    throw new UsageError(`${flag} must be a whole number`);
  }
  return Number(text);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`pushgate: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof PushClientError) {
    console.error(`pushgate: ${error.code}: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(`pushgate: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
