import type { ClientInfo } from '../registry/client.js';
import type { Handshake } from './push-socket.js';

/** What a `BindGuard` decides on. */
export interface BindRequest {
  /** The uid the connection asks to be bound to. */
  uid: string;
  /** The connection asking. */
  client: ClientInfo;
  /** The whole `init` message, with any field the application added (a token, say). */
  message: Readonly<Record<string, unknown>>;
  /** The HTTP request that opened the WebSocket: its URL and headers. */
  handshake: Handshake;
}

/**
 * Decides whether a browser connection may bind the uid it asks for in `init`, before `init_ok`.
 * Refusing (false, or a rejected promise) answers `init` with `unauthorized`. Bindings a backend
 * makes with `bindUid` are not asked about.
 */
export interface BindGuard {
  canBind(request: BindRequest): boolean | Promise<boolean>;
}

/** The injection token of the application's `BindGuard`, if it has one. */
export const BIND_GUARD = Symbol('pushgate:bind-guard');
