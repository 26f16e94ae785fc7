/** A connection that keeps its writes while a batch is under way, and writes them when it ends. */
export interface BatchWriter {
  /** The batch has ended: write what was kept. */
  release(): void;
}

/** The writers that joined the batch under way; undefined outside of one. */
let joined: BatchWriter[] | undefined;

/**
 * Runs `write` as one batch of pushes: each connection it writes to gets all of its frames in
 * one write once `write` returns (one system call, unless the kernel's buffer fills), instead of
 * one per frame. A write costs more than building its frame and finding its connection together
 * (see bench/RESULTS.md), and a backend's chunk of lines often has several for one connection.
 * Nothing waits longer than `write` takes, and a nested batch is part of the outer one.
 */
export function inOneWrite<T>(write: () => T): T {
  if (joined !== undefined) {
    return write();
  }
  joined = [];
  try {
    return write();
  } finally {
    const writers = joined;
    joined = undefined;
    releaseAll(writers);
  }
}

/**
 * Runs shorter than this are written as they go. They come from a backend that is not ahead of
 * the server (one that is hands over a whole read, hundreds of lines), where a frame's latency
 * counts for more than a system call, and they seldom have two frames for one connection.
 */
export const MIN_BATCH_RUN = 16;

/** `write` for a run of `count` pushes: in one batch (`inOneWrite`) if the run is long enough. */
export function writeRun<T>(count: number, write: () => T): T {
  return count >= MIN_BATCH_RUN ? inOneWrite(write) : write();
}

/**
 * Within a batch, `writer` is released when the batch ends, and true is returned: the caller
 * keeps its writes until then. Outside of one, false. A writer joins a batch once.
 */
export function joinBatch(writer: BatchWriter): boolean {
  if (joined === undefined) {
    return false;
  }
  joined.push(writer);
  return true;
}

/**
 * Releases every writer, even after one has thrown: a writer left out would keep its writes for
 * good. The first error is thrown once all are released.
 */
function releaseAll(writers: readonly BatchWriter[]): void {
  let failure: { error: unknown } | undefined;
  for (const writer of writers) {
    try {
      writer.release();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) {
    throw failure.error;
  }
}
