import { once } from 'node:events';
import { WebSocket } from 'ws';

/**
 * A session with a server's inspector (the Chrome DevTools protocol over a WebSocket): `call`
 * sends a method and resolves with its result.
 */
export async function connectInspector(port) {
  const [{ webSocketDebuggerUrl }] = await (
    await fetch(`http://127.0.0.1:${port}/json/list`)
  ).json();
  const socket = new WebSocket(webSocketDebuggerUrl);
  await once(socket, 'open');
  const pending = new Map();
  let lastId = 0;
  socket.on('message', (data) => {
    const { id, result, error } = JSON.parse(data);
    const call = pending.get(id);
    pending.delete(id);
    if (error !== undefined) {
      call?.reject(new Error(`inspector: ${error.message}`));
    } else {
      call?.resolve(result);
    }
  });
  // A server that exits mid-call must fail the script, not leave it waiting.
  socket.on('close', () => {
    for (const { reject } of pending.values()) {
      reject(new Error('inspector: the server closed the session'));
    }
    pending.clear();
  });
  return {
    call(method, params = {}) {
      const id = ++lastId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) =>
        pending.set(id, { resolve, reject }),
      );
    },
    close: () => socket.close(),
  };
}
