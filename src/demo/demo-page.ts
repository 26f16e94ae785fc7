/** Where the page tells people to push to. */
export interface DemoPageSettings {
  textHost: string;
  textPort: number;
}

/**
 * The demo page: connect with a uid (and a token, for a server with a bind guard), watch the
 * state and every message as it arrives, and copy the command that pushes to it. It uses the
 * browser SDK, as an application would.
 */
export function demoPage({ textHost, textPort }: DemoPageSettings): string {
  const host = escape(textHost);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pushgate demo</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; }
  form { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; }
  label { display: flex; flex-direction: column; font-size: .85rem; }
  input { font: inherit; padding: .3rem .5rem; }
  button { font: inherit; padding: .35rem .9rem; }
  #state { font-weight: 600; }
  #state[data-state="connected"] { color: #16803c; }
  #state[data-state="connecting"] { color: #a16207; }
  #state[data-state="disconnected"] { color: #b91c1c; }
  pre, code { background: #f3f4f6; border-radius: 4px; }
  pre { padding: .6rem .8rem; white-space: pre-wrap; word-break: break-all; }
  #messages { list-style: none; padding: 0; }
  #messages li { border-bottom: 1px solid #e5e7eb; padding: .35rem 0; font-family: ui-monospace, monospace; font-size: .85rem; white-space: pre-wrap; word-break: break-all; }
  #messages time { color: #6b7280; margin-right: .6rem; }
</style>
</head>
<body>
<h1>Pushgate demo</h1>
<form id="connect">
  <label>uid <input id="uid" name="uid" required></label>
  <label>token (if the server checks one) <input id="token" name="token"></label>
  <button id="connect-button" type="submit">Connect</button>
  <button id="disconnect-button" type="button" disabled>Disconnect</button>
</form>
<p>State: <span id="state" data-state="disconnected">disconnected</span> <span id="client"></span></p>

<h2>Push to this page</h2>
<p>From a shell:</p>
<pre id="nc-command"></pre>
<p>From PHP:</p>
<pre id="php-command"></pre>

<h2>Messages</h2>
<ul id="messages"></ul>

<script type="module">
import { PushgateClient } from '/pushgate/sdk/browser/pushgate-client.js';

const $ = (id) => document.getElementById(id);
const uid = $('uid');
uid.value = 'demo-' + Math.random().toString(36).slice(2, 8);
let client;

function showCommands() {
  const line = JSON.stringify({ type: 'sendToUid', uid: uid.value, message: { type: 'hello', text: 'Hi from the backend' } });
  $('nc-command').textContent = "echo '" + line.replaceAll("'", "'\\\\''") + "' | nc -N ${host} ${textPort}";
  $('php-command').textContent =
    "$fp = stream_socket_client('tcp://${host}:${textPort}');\\n" +
    "fwrite($fp, json_encode(['type' => 'sendToUid', 'uid' => " + JSON.stringify(uid.value).replaceAll('"', "'") + ", 'message' => ['type' => 'hello']]) . \\"\\\\n\\");\\n" +
    'fclose($fp);';
}

function log(entry) {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  item.append(time, typeof entry === 'string' ? entry : JSON.stringify(entry));
  $('messages').prepend(item);
}

uid.addEventListener('input', showCommands);
showCommands();

$('connect').addEventListener('submit', (event) => {
  event.preventDefault();
  client?.close();
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  client = new PushgateClient(scheme + location.host + '/', {
    uid: uid.value,
    token: $('token').value || undefined,
  });
  client.on('state', (state) => {
    $('state').textContent = state;
    $('state').dataset.state = state;
    $('disconnect-button').disabled = state === 'disconnected';
  });
  client.on('bound', ({ clientId }) => ($('client').textContent = '(client id ' + clientId + ')'));
  client.on('message', log);
  client.on('error', (error) => log('error: ' + error.code + ': ' + error.message));
});

$('disconnect-button').addEventListener('click', () => client?.close());
</script>
</body>
</html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
