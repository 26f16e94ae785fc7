/** The one thing the registry's users need of a connection: a way to write a text frame to it. */
export interface ClientSocket {
  send(frame: string): void;
}

/** One browser connection as the registry knows it: its id, its socket and the uid it is bound to. */
export class Client {
  /** Set by `UidRegistry.bind`; a connection is bound to at most one uid. */
  uid: string | undefined = undefined;

  constructor(
    readonly id: string,
    readonly socket: ClientSocket,
  ) {}
}
