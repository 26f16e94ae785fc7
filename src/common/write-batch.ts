/** What holds its writes during a batch, and sends them when the batch ends. */
export interface HeldWriter {
  /** The batch has ended: write what was held. */
  release(): void;
}

/** The writers holding writes for the batch under way; undefined outside of one. */
let held: HeldWriter[] | undefined;

/**
 * Runs `write` as one batch of pushes: each connection it writes to sends all of its frames in
 * one system call once `write` returns, instead of one call per frame. A write costs more than
 * building its frame and finding its connection together (see bench/RESULTS.md), and a backend's
 * chunk of lines often has several for one connection. Nothing waits longer than `write` takes,
 * and a nested batch is part of the outer one.
 */
export function inOneWrite<T>(write: () => T): T {
  if (held !== undefined) {
    return write();
  }
  held = [];
  try {
    return write();
  } finally {
    const writers = held;
    held = undefined;
    for (const writer of writers) {
      writer.release();
    }
  }
}

/**
 * Within a batch, `writer` is released when the batch ends, and true is returned: the caller
 * holds its writes until then. Outside of one, false. Call it once per batch for a writer.
 */
export function holdUntilBatchEnds(writer: HeldWriter): boolean {
  if (held === undefined) {
    return false;
  }
  held.push(writer);
  return true;
}
