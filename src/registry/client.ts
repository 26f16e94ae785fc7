/** What the registry's users need of a connection: write a text frame to it, or close it. */
export interface ClientSocket {
  /** Writes one text frame (unless the connection is closing). */
  push(frame: string): void;
  /** Writes the frames owed on binding, whole, whatever their size. */
  pushBacklog(frames: readonly string[]): void;
  close(code: number, reason: string): void;
}

/** JSON data a backend attaches to a connection (`setSession`, `updateSession`). */
export type Session = Record<string, unknown>;

/** What an application may read about a connection. */
export interface ClientInfo {
  readonly id: string;
  readonly uid: string | undefined;
  readonly groups: ReadonlySet<string> | undefined;
  readonly session: Readonly<Session> | undefined;
}

/** One browser connection as the registry knows it: its id, its socket, its uid, groups and session. */
export class Client implements ClientInfo {
  /** Set by `UidRegistry.bind`; a connection is bound to at most one uid. */
  uid: string | undefined = undefined;
  /** The groups it has joined; created on the first join. */
  groups: Set<string> | undefined = undefined;
  session: Session | undefined = undefined;
  /** Follows positions (`init` with `recover` or `since`): receives pushes in envelopes. */
  recovers = false;

  constructor(
    readonly id: string,
    readonly socket: ClientSocket,
  ) {}
}
