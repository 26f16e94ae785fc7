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
 * Runs shorter than this are written as they go. They come from a backend that is not ahead of
 * the server (one that is hands over a whole read, hundreds of lines), where a frame's latency
 * counts for more than a system call, and they seldom hold two frames for one connection.
 */
export const MIN_HELD_RUN = 16;

/** `write` for a run of `count` pushes: in one batch (`inOneWrite`) if the run is long enough. */
export function writeRun<T>(count: number, write: () => T): T {
  return count >= MIN_HELD_RUN ? inOneWrite(write) : write();
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
