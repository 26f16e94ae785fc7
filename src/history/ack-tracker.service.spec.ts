import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PushConfig } from '../config/push-config.js';
import { AckTracker } from './ack-tracker.service.js';

function tracker(): AckTracker {
  return new AckTracker(
    Object.assign(new PushConfig(), { ackTimeoutMs: 1000 }),
  );
}

describe(AckTracker, () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-26T12:00:00Z') });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends at once when nobody can acknowledge', async () => {
    await expect(tracker().wait('u', 1, [], 0)).resolves.toBe(0);
  });

  it('ends when every expected connection acknowledged, counting each once', async () => {
    const acks = tracker();
    const waiting = acks.wait('u', 7, ['a', 'b'], 0);
    acks.ack('u', 7, 'a');
    acks.ack('u', 7, 'a');
    acks.ack('u', 7, 'stranger');
    acks.ack('u', 8, 'b');
    acks.ack('u', 7, 'b');
    await expect(waiting).resolves.toBe(2);
  });

  it('waits for every report before it ends, and counts the connections they name', async () => {
    const acks = tracker();
    const waiting = acks.wait('u', 1, [], 2);
    acks.report('u', 1, ['a'], true);
    acks.ack('u', 1, 'a');
    let done = false;
    void waiting.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    acks.report('u', 1, [], true);
    await expect(waiting).resolves.toBe(1);
  });

  it('adds connections that recovered the push without settling the wait', async () => {
    const acks = tracker();
    const waiting = acks.wait('u', 1, ['a'], 0);
    acks.report('u', 1, ['late'], false);
    acks.ack('u', 1, 'a');
    acks.ack('u', 1, 'late');
    await expect(waiting).resolves.toBe(2);
  });

  it('keeps what comes before its wait begins, for a while', async () => {
    const acks = tracker();
    acks.report('u', 1, ['a'], true);
    acks.ack('u', 1, 'a');
    await expect(acks.wait('u', 1, [], 1)).resolves.toBe(1);

    acks.report('u', 2, ['a'], true);
    vi.advanceTimersByTime(5500);
    acks.report('u', 3, [], true); // lets go of what waited too long
    const late = acks.wait('u', 2, [], 1);
    vi.advanceTimersByTime(1000);
    await expect(late).resolves.toBe(0);
  });

  it('ends with the count so far at its timeout, or on shutdown', async () => {
    const acks = tracker();
    const timed = acks.wait('u', 1, ['a', 'b'], 0);
    acks.ack('u', 1, 'a');
    vi.advanceTimersByTime(1000);
    await expect(timed).resolves.toBe(1);

    const open = acks.wait('u', 2, ['a'], 0, 60_000);
    acks.endAll();
    await expect(open).resolves.toBe(0);
    await expect(acks.wait('u', 3, ['a'], 0)).resolves.toBe(0);
  });
});
