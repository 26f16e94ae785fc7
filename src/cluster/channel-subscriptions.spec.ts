import { describe, expect, it } from 'vitest';
import {
  ChannelSubscriptions,
  type Subscriber,
} from './channel-subscriptions.js';

/** A subscriber connection that writes down the commands it gets. */
function recorder(fail = false): {
  subscriber: Subscriber;
  commands: string[];
} {
  const commands: string[] = [];
  const answer = () =>
    fail ? Promise.reject(new Error('down')) : Promise.resolve();
  return {
    commands,
    subscriber: {
      subscribe: (...channels) => {
        commands.push(`SUBSCRIBE ${channels.join(' ')}`);
        return answer();
      },
      unsubscribe: (...channels) => {
        commands.push(`UNSUBSCRIBE ${channels.join(' ')}`);
        return answer();
      },
    },
  };
}

async function activeSubscriptions(fail = false) {
  const { subscriber, commands } = recorder(fail);
  const subscriptions = new ChannelSubscriptions(subscriber);
  await subscriptions.resubscribeAll().catch(() => undefined);
  commands.length = 0;
  return { subscriptions, commands };
}

describe(ChannelSubscriptions, () => {
  describe('want', () => {
    it('sends the channels wanted in one turn as one SUBSCRIBE, after the turn', async () => {
      const { subscriptions, commands } = await activeSubscriptions();
      subscriptions.want('a');
      subscriptions.want('b');
      subscriptions.want('a');
      expect(commands).toEqual([]);
      await subscriptions.settled();
      expect(commands).toEqual(['SUBSCRIBE a b']);
      expect(subscriptions.has('a')).toBe(true);
      expect(subscriptions.size).toBe(2);
    });
  });

  describe('drop', () => {
    it('sends nothing for a channel wanted and dropped in the same turn', async () => {
      const { subscriptions, commands } = await activeSubscriptions();
      subscriptions.want('a');
      subscriptions.drop('a');
      subscriptions.drop('never wanted');
      await subscriptions.settled();
      expect(commands).toEqual([]);
    });

    it('unsubscribes from a channel subscribed before', async () => {
      const { subscriptions, commands } = await activeSubscriptions();
      subscriptions.want('a');
      await subscriptions.settled();
      subscriptions.drop('a');
      subscriptions.want('b');
      await subscriptions.settled();
      expect(commands).toEqual(['SUBSCRIBE a', 'SUBSCRIBE b', 'UNSUBSCRIBE a']);
      expect(subscriptions.has('a')).toBe(false);
    });

    it('subscribes again to a channel dropped and wanted back later', async () => {
      const { subscriptions, commands } = await activeSubscriptions();
      subscriptions.want('a');
      await subscriptions.settled();
      subscriptions.drop('a');
      await subscriptions.settled();
      subscriptions.want('a');
      await subscriptions.settled();
      expect(commands).toEqual(['SUBSCRIBE a', 'UNSUBSCRIBE a', 'SUBSCRIBE a']);
    });
  });

  describe('pause', () => {
    it('sends nothing while paused, but keeps track of what is wanted', async () => {
      const { subscriptions, commands } = await activeSubscriptions();
      subscriptions.want('kept');
      subscriptions.want('dropped');
      await subscriptions.settled();
      subscriptions.pause();
      subscriptions.drop('dropped');
      subscriptions.want('new');
      await subscriptions.settled();
      expect(commands).toEqual(['SUBSCRIBE kept dropped']);

      await subscriptions.resubscribeAll();
      expect(commands.at(-1)).toBe('SUBSCRIBE kept new');
    });
  });

  describe('resubscribeAll', () => {
    it('subscribes to every wanted channel, 1,000 to a command', async () => {
      const { subscriber, commands } = recorder();
      const subscriptions = new ChannelSubscriptions(subscriber);
      for (let i = 0; i < 2500; i++) {
        subscriptions.want(`c${i}`);
      }
      expect(commands).toEqual([]);
      await subscriptions.resubscribeAll();
      expect(commands.map((command) => command.split(' ').length - 1)).toEqual([
        1000, 1000, 500,
      ]);
    });

    it('rejects when subscribing fails', async () => {
      const { subscriber } = recorder(true);
      const subscriptions = new ChannelSubscriptions(subscriber);
      subscriptions.want('a');
      await expect(subscriptions.resubscribeAll()).rejects.toThrow('down');
    });
  });

  describe('settled', () => {
    it('never rejects, even when a command fails', async () => {
      const { subscriptions } = await activeSubscriptions(true);
      subscriptions.want('a');
      await expect(subscriptions.settled()).resolves.toBeUndefined();
    });
  });
});
