import { describe, expect, it } from 'vitest';
import { slideWindow } from '../../lib/rate-limit/sliding-window.js';

const HOUR = 3600_000;
const rule = { limit: 3, windowSeconds: 3600 };
const t = (iso: string) => Date.parse(iso);

describe('slideWindow (issue 19 item 17): no stretch of one window holds more than the limit', () => {
  it('admits the limit, then refuses across the clock-hour boundary until the oldest hit is a window old', () => {
    let hits: number[] = [];
    for (const at of ['12:59:00', '12:59:10', '12:59:20']) {
      const step = slideWindow(hits, rule, t(`2025-06-01T${at}Z`));
      expect(step.decision).toEqual({ allowed: true });
      hits = step.hits;
    }
    expect(slideWindow(hits, rule, t('2025-06-01T13:00:30Z')).decision).toEqual({ allowed: false, retryAfterSeconds: 3510 });
    expect(slideWindow(hits, rule, t('2025-06-01T13:58:59.999Z')).decision).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(slideWindow(hits, rule, t('2025-06-01T13:59:00Z')).decision).toEqual({ allowed: true });
  });

  it('a refusal returns the state unchanged (nothing to record); an admission keeps only the hits in the window', () => {
    const now = t('2025-06-01T14:00:00Z');
    const hits = [now - HOUR - 1, now - HOUR, now - 10];
    expect(slideWindow(hits, rule, now)).toEqual({ decision: { allowed: true }, hits: [now - 10, now], expiresAtMs: now + HOUR });
    const full = [now - 30, now - 20, now - 10];
    expect(slideWindow(full, rule, now)).toEqual({ decision: { allowed: false, retryAfterSeconds: 3600 }, hits: full, expiresAtMs: now - 10 + HOUR });
  });

  it('hits stamped by a clock running ahead still count (skew cannot widen the limit)', () => {
    const now = t('2025-06-01T14:00:00Z');
    expect(slideWindow([now + 5_000, now + 6_000, now + 7_000], rule, now).decision).toMatchObject({ allowed: false });
  });

  it('after the limit was lowered, waits until enough old hits left', () => {
    const now = t('2025-06-01T14:00:00Z');
    const hits = [now - 40 * 60_000, now - 30 * 60_000, now - 20 * 60_000, now - 10 * 60_000];
    expect(slideWindow(hits, { limit: 2, windowSeconds: 3600 }, now).decision).toEqual({ allowed: false, retryAfterSeconds: 40 * 60 });
  });
});
