/** What became of a send to uids, beyond the count of connections it was written to. */
export class Receipt {
  constructor(
    /** Connections it was written to at once. */
    readonly connections: number,
    /** Uids it was kept for, having no connection: the first to bind each gets it. */
    readonly buffered: number,
    /** With `ack`: connections that acknowledged it in time. */
    readonly acked?: number,
  ) {}
}

/**
 * What a send to uids gives: the count of connections it was written to; a `Receipt` when it was
 * kept for a uid; with `waits` (it asked for acknowledgements), a promise of one.
 */
export function sendResult(
  connections: number,
  buffered: number,
  waits?: ReadonlyArray<Promise<number>>,
): number | Receipt | Promise<Receipt> {
  if (waits === undefined) {
    return buffered === 0 ? connections : new Receipt(connections, buffered);
  }
  return Promise.all(waits).then(
    (acked) =>
      new Receipt(
        connections,
        buffered,
        acked.reduce((sum, n) => sum + n, 0),
      ),
  );
}
