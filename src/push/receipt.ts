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
