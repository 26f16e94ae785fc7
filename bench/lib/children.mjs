/**
 * Every child process the bench starts (servers, receivers) is registered here, so that none
 * outlives the runner: they are killed on a normal exit, on an uncaught error and on Ctrl-C.
 * Only SIGKILL of the runner itself escapes this; receivers then still exit (their IPC channel
 * closes), servers do not (see README).
 */
const children = new Set();

/** Registers `child` until it exits; returns it. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Asks a child to exit with `signal`, and kills it if it has not within `timeoutMs`; resolves
 * once it is gone (at once if it already was). `exited` is `once(child, 'exit')`, taken when the
 * child was started: an exit that has already happened fires no event.
 */
export async function stop(child, exited, signal, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function killAll() {
  for (const child of children) {
    child.kill('SIGKILL');
  }
}

// 'exit' also runs after an uncaught exception, so this one handler covers errors too.
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping every child process`);
    process.exit(130);
  });
}
