import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PushConfig } from '../config/push-config.js';
import { PushMetrics } from '../metrics/push-metrics.service.js';
import { UidRegistry } from '../registry/uid-registry.service.js';
import { frameOf } from './frame.js';
import { UidHistory } from './uid-history.service.js';

function history(settings: Partial<PushConfig> = {}): UidHistory {
  const config = Object.assign(new PushConfig(), settings);
  return new UidHistory(config, new PushMetrics(new UidRegistry()));
}

const texts = (backlog: { pushes: Array<{ frame: { text: string } }> }) =>
  backlog.pushes.map(({ frame }) => frame.text);

describe(UidHistory, () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-26T12:00:00Z') });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps nothing, and follows nobody, when the TTL is 0', () => {
    const kept = history({ bufferTtlMs: 0 });
    expect(kept.keep('u', frameOf('m'), true)).toBeUndefined();
    expect(kept.bind('u', { recover: true, since: 5 })).toEqual({
      position: undefined,
      recovered: false,
      pushes: [],
    });
    expect(kept.tracks('u')).toBe(false);
  });

  it('hands pending pushes to the first binding only, in order', () => {
    const kept = history();
    kept.keep('u', frameOf('a'), true);
    kept.keep('u', frameOf({ b: 1 }), true);
    expect(texts(kept.bind('u', { recover: false }))).toEqual(['a', '{"b":1}']);
    expect(texts(kept.bind('u', { recover: false }))).toEqual([]);
    expect(kept.stats.pending).toBe(0);
  });

  it('gives positions one apart, above the clock in microseconds', () => {
    const kept = history();
    const first = kept.keep('u', frameOf('a'), true)!;
    expect(first).toBe(Date.now() * 1000 + 1);
    expect(kept.keep('u', frameOf('b'), true)).toBe(first + 1);
    expect(kept.keep('v', frameOf('c'), true)).toBe(first); // another uid, its own count
  });

  it('recovers from a position it still keeps everything after', () => {
    const kept = history();
    const { position: start } = kept.bind('u', { recover: true });
    kept.keep('u', frameOf('a'), false);
    kept.keep('u', frameOf('b'), false);
    const back = kept.bind('u', { recover: true, since: start! + 1 });
    expect(back.recovered).toBe(true);
    expect(back.position).toBe(start! + 1); // where it stands before its backlog
    expect(texts(back)).toEqual(['b']);
  });

  it('cannot recover from before the oldest push it dropped, or from a position it never gave', () => {
    const kept = history({ bufferMaxPerUid: 2 });
    const { position: start } = kept.bind('u', { recover: true });
    for (const text of ['a', 'b', 'c']) {
      kept.keep('u', frameOf(text), false);
    }
    expect(kept.bind('u', { recover: true, since: start! }).recovered).toBe(
      false,
    );
    expect(kept.bind('u', { recover: true, since: start! + 1 }).recovered).toBe(
      true,
    );
    expect(kept.bind('u', { recover: true, since: start! + 9 }).recovered).toBe(
      false,
    );
  });

  it('drops pushes as their TTL runs out, and forgets a uid with none left', () => {
    const kept = history({ bufferTtlMs: 1000 });
    kept.keep('u', frameOf('a'), true);
    vi.advanceTimersByTime(500);
    kept.keep('u', frameOf('b'), true);
    vi.advanceTimersByTime(600); // the sweep drops a
    expect(kept.stats).toMatchObject({ pending: 1, uids: 1 });
    vi.advanceTimersByTime(1000);
    expect(kept.stats).toEqual({ pending: 0, uids: 0, bytes: 0, queued: 0 });
  });

  it('holds no more than PUSH_BUFFER_MAX_BYTES, dropping the oldest of any uid', () => {
    const kept = history({ bufferMaxBytes: 2000 });
    for (let i = 0; i < 50; i++) {
      kept.keep(`u${i}`, frameOf('x'.repeat(100)), true);
      expect(kept.stats.bytes).toBeLessThanOrEqual(2000);
    }
    expect(texts(kept.bind('u0', { recover: false }))).toEqual([]);
    expect(texts(kept.bind('u49', { recover: false }))).toHaveLength(1);
    expect(kept.stats.uids).toBeLessThan(10);
  });

  it('keeps following a uid for a TTL after its last follower left, then lets it go', () => {
    const kept = history({ bufferTtlMs: 1000 });
    const { position } = kept.bind('u', { recover: true });
    kept.unfollow('u');
    vi.advanceTimersByTime(500);
    expect(kept.tracks('u')).toBe(true);
    expect(kept.bind('u', { recover: true, since: position }).recovered).toBe(
      true,
    );
    kept.unfollow('u');
    vi.advanceTimersByTime(2100);
    expect(kept.tracks('u')).toBe(false);
  });

  it('keeps nothing of a push bigger than the whole byte cap, and says so', () => {
    const kept = history({ bufferMaxBytes: 4096 });
    expect(kept.keep('u', frameOf('x'.repeat(5000)), true)).toBeUndefined();
    expect(kept.stats).toMatchObject({ pending: 0, uids: 0, bytes: 0 });
  });

  it('counts bytes, not characters', () => {
    const kept = history();
    kept.keep('u', frameOf('推'), true); // 3 bytes of UTF-8, 1 character
    const one = kept.stats.bytes;
    kept.keep('v', frameOf('xxx'), true);
    expect(kept.stats.bytes).toBe(2 * one);
  });

  it('gives up lingering logs before pushes when over the byte cap', () => {
    const kept = history({ bufferMaxBytes: 8192 });
    for (let i = 0; i < 100; i++) {
      kept.bind(`gone ${i}`, { recover: true });
      kept.unfollow(`gone ${i}`);
    }
    expect(kept.keep('offline', frameOf('m'), true)).toBeDefined();
    expect(texts(kept.bind('offline', { recover: false }))).toEqual(['m']);
    expect(kept.stats.bytes).toBeLessThanOrEqual(8192);
  });

  it('lets go of pushes dropped for the per-uid limit, instead of queueing them for their TTL', () => {
    const kept = history({ bufferMaxPerUid: 1 });
    for (let i = 0; i < 100_000; i++) {
      kept.keep(`u${i % 10}`, frameOf('m'), true);
    }
    expect(kept.stats.pending).toBe(10);
    expect(kept.stats.queued).toBeLessThan(2048);
  });

  it('keeps nothing for a uid only plain connections are bound to, and breaks its continuity', () => {
    const kept = history({ bufferTtlMs: 1000 });
    const { position } = kept.bind('u', { recover: true });
    kept.unfollow('u');
    vi.advanceTimersByTime(500);
    kept.keep('u', frameOf('pending'), true); // the uid has no connection: kept till 1500
    vi.advanceTimersByTime(600); // the linger is over; the log lives on for its push
    expect(kept.pass('u', frameOf('live'))).toBeUndefined();
    const back = kept.bind('u', { recover: true, since: position! + 1 });
    expect(back.recovered).toBe(false);
    expect(texts(back)).toEqual(['pending']);
  });
});
