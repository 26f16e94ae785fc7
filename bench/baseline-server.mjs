/**
 * The yardstick: Pushgate's core protocol with nothing but `ws` and `node:net`, written the way
 * anyone would write it without a framework. A Map from uid to a Set of sockets, `JSON.parse` per
 * line, one `JSON.stringify` per send and `socket.send` per recipient. It is meant to be honest:
 * not crippled, not tuned.
 *
 * It reads the same environment variables as Pushgate and prints the same two start-up lines, so
 * that the bench starts both the same way:
 *   PUSH_WS_HOST, PUSH_WS_PORT, PUSH_TEXT_HOST, PUSH_TEXT_PORT, PUSH_PING_INTERVAL_MS, PUSH_PING_LIMIT
 *
 * WebSocket: `init` (answered with `init_ok` and a client id) and `pong`.
 * Text port: `send`, `sendToUid`, `sendToAll`, `joinGroup`, `sendToGroup`; a line with an `id`
 * gets `{"id":...,"ok":true,"result":...}`, a failed line `{"ok":false,"error":{"code":...}}`.
 */
import { createServer } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { WebSocket, WebSocketServer } from 'ws';

const setting = (name, fallback) => process.env[name] || fallback;
const WS_HOST = setting('PUSH_WS_HOST', '0.0.0.0');
const WS_PORT = Number(setting('PUSH_WS_PORT', 7272));
const TEXT_HOST = setting('PUSH_TEXT_HOST', '127.0.0.1');
const TEXT_PORT = Number(setting('PUSH_TEXT_PORT', 8806));
const PING_INTERVAL_MS = Number(setting('PUSH_PING_INTERVAL_MS', 25000));
const PING_LIMIT = Number(setting('PUSH_PING_LIMIT', 2));
/** Pushgate's default PUSH_MAX_FRAME_BYTES, so that both servers refuse the same frames. */
const MAX_FRAME_BYTES = 65536;

const PING = JSON.stringify({ type: 'ping' });

const clients = new Map(); // client id → socket
const uids = new Map(); // uid → Set of sockets
const groups = new Map(); // group → Set of sockets
let lastClientId = 0;

class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// ---- WebSocket side -----------------------------------------------------------------------------

const wss = new WebSocketServer({
  host: WS_HOST,
  port: WS_PORT,
  maxPayload: MAX_FRAME_BYTES,
});

wss.on('connection', (socket) => {
  socket.clientId = (++lastClientId).toString(36);
  socket.uid = undefined;
  socket.groups = undefined; // a Set once it joins a group
  socket.silentSweeps = 0;
  clients.set(socket.clientId, socket);
  socket.on('message', (frame, isBinary) =>
    onClientMessage(socket, frame, isBinary),
  );
  socket.on('close', () => forget(socket));
  // A protocol error (oversized frame, bad UTF-8): ws has already closed the socket.
  socket.on('error', () => {});
});

function onClientMessage(socket, frame, isBinary) {
  socket.silentSweeps = 0;
  try {
    if (isBinary) {
      throw new ProtocolError('binary_frame', 'binary frames are not accepted');
    }
    const message = parseObject(frame.toString());
    if (message.type === 'init') {
      const uid = name(message, 'task_id');
      bind(socket, uid);
      socket.send(
        JSON.stringify({
          type: 'init_ok',
          task_id: uid,
          client_id: socket.clientId,
        }),
      );
    } else if (message.type !== 'pong') {
      throw new ProtocolError(
        'unknown_type',
        `unknown message type ${message.type}`,
      );
    }
  } catch (error) {
    socket.send(JSON.stringify({ type: 'error', ...errorBody(error) }));
  }
}

function bind(socket, uid) {
  unbind(socket);
  addTo(uids, uid, socket);
  socket.uid = uid;
}

function unbind(socket) {
  if (socket.uid !== undefined) {
    deleteFrom(uids, socket.uid, socket);
    socket.uid = undefined;
  }
}

function forget(socket) {
  unbind(socket);
  for (const group of socket.groups ?? []) {
    deleteFrom(groups, group, socket);
  }
  clients.delete(socket.clientId);
}

// Pings every socket each interval and closes those silent through PING_LIMIT pings, as Pushgate does.
setInterval(() => {
  for (const socket of wss.clients) {
    if (PING_LIMIT > 0 && ++socket.silentSweeps > PING_LIMIT) {
      socket.close(4408, 'ping timeout');
    } else {
      socket.send(PING);
    }
  }
}, PING_INTERVAL_MS).unref();

// ---- Text side ----------------------------------------------------------------------------------

const commands = new Map([
  [
    'send',
    (command) =>
      deliver(
        uids.get(name(command, 'task_id')),
        JSON.stringify({
          type: 'login_status',
          openid: command.openid,
          data: command.data ?? null,
        }),
      ),
  ],
  [
    'sendToUid',
    (command) => deliver(uids.get(name(command, 'uid')), payload(command)),
  ],
  ['sendToAll', (command) => deliver(wss.clients, payload(command))],
  [
    'sendToGroup',
    (command) => deliver(groups.get(name(command, 'group')), payload(command)),
  ],
  [
    'joinGroup',
    (command) => {
      const socket = clients.get(command.client_id);
      const group = name(command, 'group');
      if (socket === undefined) {
        return false;
      }
      addTo(groups, group, socket);
      (socket.groups ??= new Set()).add(group);
      return true;
    },
  ],
]);

const text = createServer((connection) => {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  connection.setNoDelay(true);
  // Lines run synchronously inside 'data', so nothing more is read from this connection until
  // they are done: TCP slows a backend that writes faster than its lines run.
  connection.on('data', (chunk) => {
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const reply = runLine(line);
      if (reply !== undefined) {
        connection.write(reply + '\n');
      }
    }
  });
  connection.on('error', () => {});
});

/** Runs one line; returns its reply line, if it gets one. */
function runLine(line) {
  if (line === '' || line === '\r') {
    return undefined;
  }
  let id;
  try {
    // JSON.parse takes a trailing '\r' as whitespace.
    const command = parseObject(line);
    id = command.id;
    const run = commands.get(command.type);
    if (run === undefined) {
      throw new ProtocolError(
        'unknown_type',
        `unknown command ${command.type}`,
      );
    }
    const result = run(command);
    return id === undefined
      ? undefined
      : JSON.stringify({ id, ok: true, result });
  } catch (error) {
    const reply = { ok: false, error: errorBody(error) };
    return JSON.stringify(id === undefined ? reply : { id, ...reply });
  }
}

/** Sends one frame to every open socket of `targets`; returns how many it was written to. */
function deliver(targets, frame) {
  let sent = 0;
  for (const socket of targets ?? []) {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(frame);
      sent++;
    }
  }
  return sent;
}

/** A send's `message`: a string goes out as it is, any other value as its JSON. */
function payload({ message }) {
  if (message === undefined || message === null) {
    throw new ProtocolError('invalid_message', '"message" is required');
  }
  return typeof message === 'string' ? message : JSON.stringify(message);
}

// ---- Shared helpers -----------------------------------------------------------------------------

function parseObject(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad_json', 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('invalid_message', 'not a JSON object');
  }
  return value;
}

/** A uid or group field: a non-empty string, or a number standing for its decimal string. */
function name(message, field) {
  const value = message[field];
  if (
    typeof value === 'number' ||
    (typeof value === 'string' && value !== '')
  ) {
    return String(value);
  }
  throw new ProtocolError(
    'invalid_message',
    `"${field}" must be a non-empty string or a number`,
  );
}

function errorBody(error) {
  return error instanceof ProtocolError
    ? { code: error.code, message: error.message }
    : { code: 'internal_error', message: String(error) };
}

function addTo(map, key, socket) {
  let members = map.get(key);
  if (members === undefined) {
    members = new Set();
    map.set(key, members);
  }
  members.add(socket);
}

function deleteFrom(map, key, socket) {
  const members = map.get(key);
  if (members?.delete(socket) && members.size === 0) {
    map.delete(key);
  }
}

// ---- Start-up and shutdown ----------------------------------------------------------------------

function hostPort({ address, family, port }) {
  return family === 'IPv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

await Promise.all([
  new Promise((resolve) => wss.once('listening', resolve)),
  new Promise((resolve) => text.listen(TEXT_PORT, TEXT_HOST, resolve)),
]);
console.log(`WebSocket  ws://${hostPort(wss.address())}`);
console.log(`Text       tcp://${hostPort(text.address())}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    for (const socket of wss.clients) {
      socket.close(1001, 'server shutting down');
    }
    text.close();
    wss.close(() => process.exit(0));
    // Clients that never answer the close frame must not hold the exit up.
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
