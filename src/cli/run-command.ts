import { parseArgs } from 'node:util';
import type { PushClient } from '../sdk/node/push-client.js';
import { UsageError } from './usage-error.js';

export const USAGE = `Usage: pushgate <command> [options]

Commands:
  send    (--uid U | --client ID | --group G | --all) --message M [--exclude ID]
          Push M to the uid(s), connection(s), group(s) or everyone; prints how many
          connections got it. M is JSON when it parses as JSON, else a plain string.
          --uid, --client, --group and --exclude may be repeated.
  online  (--uid U | --client ID)
          Whether the uid (or the connection) is online: true or false.
  stats   Counts of connections, uids and groups.
  close   --client ID [--message M]
          Closes a connection, after sending it M.
  call    TYPE [FIELDS]
          Runs any text-port command; FIELDS is a JSON object, e.g.
          pushgate call getSession '{"client_id":"..."}'
  token   --uid U [--ttl SECONDS]
          Prints a token that lets a browser bind U (init's "token"), signed with
          PUSH_JWT_SECRET, valid for SECONDS (default 60). Needs no server.
  help    This text.

Options:
  --host H       text-port host (default: PUSH_TEXT_HOST, else 127.0.0.1)
  --port P       text port (default: PUSH_TEXT_PORT, else 8806)
  --timeout MS   milliseconds to wait for the server (default 5000)
  --tls          connect with TLS (a server with PUSH_TEXT_TLS_CERT)
  --ca FILE      with TLS, trust the PEM certificate(s) in FILE (implies --tls)

The secret of the text port, if any, is read from PUSH_TEXT_SECRET.
The result is printed as JSON (a token, as it is). A failed command prints its error code
and message to stderr and exits with 1; a command line that cannot be run exits with 2.`;

/** The options every subcommand accepts; each subcommand reads the ones it needs. */
export const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  timeout: { type: 'string' },
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  ttl: { type: 'string' },
  uid: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  exclude: { type: 'string', multiple: true },
  message: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Options = ReturnType<typeof parse>['values'];

export function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs one subcommand through `client` and resolves to what it prints. */
export async function runCommand(
  command: string,
  args: string[],
  options: Options,
  client: PushClient,
): Promise<unknown> {
  switch (command) {
    case 'send':
      return send(options, client);
    case 'online':
      return online(options, client);
    case 'stats': {
      const [clients, uids, groups] = await Promise.all([
        client.getAllClientCount(),
        client.getAllUidCount(),
        client.getAllGroupIdList(),
      ]);
      return { clients, uids, groups: groups.length };
    }
    case 'close':
      return client.closeClient(
        single(options.client, '--client'),
        options.message === undefined ? undefined : message(options),
      );
    case 'call': {
      const [type, fields = '{}'] = args;
      if (type === undefined) {
        throw new UsageError('call needs a command type');
      }
      return client.request(type, json(fields, 'FIELDS'));
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function send(options: Options, client: PushClient): Promise<number> {
  const targets = [
    options.uid,
    options.client,
    options.group,
    options.all,
  ].filter((target) => target !== undefined);
  if (targets.length !== 1) {
    throw new UsageError(
      'send needs exactly one of --uid, --client, --group or --all',
    );
  }
  const body = message(options);
  if (options.uid) {
    return client.sendToUid(options.uid, body);
  }
  if (options.client) {
    return client.sendToClient(options.client, body);
  }
  if (options.group) {
    return client.sendToGroup(options.group, body, options.exclude);
  }
  return client.sendToAll(body, { exclude: options.exclude });
}

function online(options: Options, client: PushClient): Promise<boolean> {
  if ((options.uid === undefined) === (options.client === undefined)) {
    throw new UsageError('online needs either --uid or --client');
  }
  return options.uid
    ? client.isUidOnline(single(options.uid, '--uid'))
    : client.isOnline(single(options.client, '--client'));
}

/** The message: JSON when it parses as JSON, otherwise the text itself. */
function message({ message }: Options): unknown {
  if (message === undefined) {
    throw new UsageError('--message is required');
  }
  try {
    return JSON.parse(message);
  } catch {
    return message;
  }
}

function single(values: string[] | undefined, flag: string): string {
  if (values?.length !== 1) {
    throw new UsageError(`${flag} must be given exactly once`);
  }
  return values[0];
}

function json(text: string, what: string): object {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value;
    }
  } catch {
    // reported below
  }
  throw new UsageError(`${what} must be a JSON object`);
}
