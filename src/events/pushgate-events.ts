/** The lifecycle events, by name, with what each carries. */
export interface PushgateEvents {
  /** A WebSocket opened. */
  'pushgate.client.connected': {
    client_id: string;
    remote_address: string | null;
  };
  /** A connection was bound to a uid (by `init` or `bindUid`). */
  'pushgate.client.bound': { client_id: string; uid: string };
  /** A connection lost its uid (by `unbindUid`, or by being bound to another uid). */
  'pushgate.client.unbound': { client_id: string; uid: string };
  /** A connection joined a group. */
  'pushgate.client.joined': { client_id: string; group: string };
  /** A connection left a group (by `leaveGroup` or `ungroup`). */
  'pushgate.client.left': { client_id: string; group: string };
  /** A WebSocket closed: with the uid and groups it had, and the close code and reason. */
  'pushgate.client.disconnected': {
    client_id: string;
    uid: string | null;
    groups: string[];
    code: number;
    reason: string;
  };
}

export type PushgateEventName = keyof PushgateEvents;

/** The event names, for `@OnEvent(PushgateEvent.Bound)` and the like. */
export const PushgateEvent = {
  Connected: 'pushgate.client.connected',
  Bound: 'pushgate.client.bound',
  Unbound: 'pushgate.client.unbound',
  Joined: 'pushgate.client.joined',
  Left: 'pushgate.client.left',
  Disconnected: 'pushgate.client.disconnected',
} as const satisfies Record<string, PushgateEventName>;
