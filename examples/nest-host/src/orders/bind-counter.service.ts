import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { PushgateEvent, type PushgateEvents } from 'pushgate';

/** Listens to Pushgate's lifecycle events: counts the uids bound since start. */
@Injectable()
export class BindCounter {
  binds = 0;
  lastUid: string | null = null;

  @OnEvent(PushgateEvent.Bound)
  onBound({ uid }: PushgateEvents['pushgate.client.bound']): void {
    this.binds++;
    this.lastUid = uid;
  }
}
