import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch.js';

describe(TurnBatch, () => {
  describe('schedule', () => {
    it('sends once for all the calls of one turn, after the turn', async () => {
      let sends = 0;
      const batch = new TurnBatch(async () => sends++);
      batch.schedule();
      batch.schedule();
      batch.schedule();
      expect(sends).toBe(0);
      await batch.done();
      expect(sends).toBe(1);
      batch.schedule();
      await batch.done();
      expect(sends).toBe(2);
    });
  });

  describe('done', () => {
    it('settles once the send is answered', async () => {
      let answer!: () => void;
      const batch = new TurnBatch(
        () => new Promise<void>((resolve) => (answer = resolve)),
      );
      batch.schedule();
      let settled = false;
      const done = batch.done().then(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      answer();
      await done;
      expect(settled).toBe(true);
    });

    it('never rejects, even when sending fails', async () => {
      const throwing = new TurnBatch(() => {
        throw new Error('down');
      });
      throwing.schedule();
      await expect(throwing.done()).resolves.toBeUndefined();
      const rejecting = new TurnBatch(() => Promise.reject(new Error('down')));
      rejecting.schedule();
      await expect(rejecting.done()).resolves.toBeUndefined();
    });

    it('settles at once when nothing is scheduled', async () => {
      await expect(
        new TurnBatch(async () => 0).done(),
      ).resolves.toBeUndefined();
    });
  });

  describe('cancel', () => {
    it('drops what was scheduled and releases whoever waits', async () => {
      let sends = 0;
      const batch = new TurnBatch(async () => sends++);
      batch.schedule();
      const done = batch.done();
      batch.cancel();
      await done;
      await new Promise((resolve) => setImmediate(resolve));
      expect(sends).toBe(0);
    });
  });
});
