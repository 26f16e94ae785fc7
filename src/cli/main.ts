#!/usr/bin/env node
import { loadTextAddress } from '../config/load-config.js';
import { PushClient } from '../sdk/node/push-client.js';
import { PushClientError } from '../sdk/node/push-client-error.js';
import { parse, runCommand, USAGE } from './run-command.js';
import { UsageError } from './usage-error.js';

async function main(argv: string[]): Promise<number> {
  const { values: options, positionals } = parse(argv);
  const [command, ...args] = positionals;
  if (command === undefined || command === 'help' || options.help) {
    console.log(USAGE);
    return 0;
  }
  const address = loadTextAddress();
  const client = new PushClient({
    host: options.host ?? address.host,
    port: integer(options.port, '--port', 1, 65535) ?? address.port,
    timeoutMs: integer(options.timeout, '--timeout', 1, 3_600_000),
    // A one-shot command waits for a server that is restarting, but not for long.
    maxReconnectDelayMs: 1000,
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
