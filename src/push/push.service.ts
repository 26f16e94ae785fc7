import { Injectable } from '@nestjs/common';
import { UidRegistry } from '../registry/uid-registry.service.js';

/**
 * The push API, in process. The text-port handlers call it, and so can an application that
 * embeds Pushgate.
 */
@Injectable()
export class PushService {
  constructor(private readonly registry: UidRegistry) {}

  /**
   * Writes `message` to every connection bound to `uid` and returns how many that was (0 when the
   * uid has none; that is not an error). A string goes out as it is; anything else is serialized
   * to JSON once, however many connections receive it.
   */
  sendToUid(uid: string, message: unknown): number {
    const clients = this.registry.clientsOf(uid);
    if (clients === undefined) {
      return 0;
    }
    const frame =
      typeof message === 'string' ? message : JSON.stringify(message);
    for (const client of clients) {
      client.socket.send(frame);
    }
    return clients.size;
  }
}
