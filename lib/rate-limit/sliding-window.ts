import type { RateDecision, RateLimit } from './ports.js';

/** A sliding window's state: the times (epoch ms, oldest first) of the admitted hits still inside it. */
export interface SlidingDecision {
  decision: RateDecision;
  /** What to store when the hit was admitted (the hits in the window, this one last); the old state otherwise. */
  hits: number[];
  /** Epoch ms after which the stored state means nothing any more (its newest hit has left the window). */
  expiresAtMs: number;
}

/**
 * The sliding-window-log rule every store applies under its own lock or conditional write: a hit at
 * `nowMs` is admitted while fewer than `limit` earlier admitted hits lie in (nowMs − window, nowMs];
 * a refused hit waits until the oldest of them leaves the window. Hits stamped after `nowMs` (another
 * instance's clock running ahead) still count, so clock skew cannot widen the limit.
 */
export function slideWindow(stored: readonly number[], { limit, windowSeconds }: RateLimit, nowMs: number): SlidingDecision {
  const windowMs = windowSeconds * 1000;
  const inWindow = stored.filter((at) => at > nowMs - windowMs).sort((a, b) => a - b);
  if (inWindow.length < limit) {
    const hits = [...inWindow, nowMs].sort((a, b) => a - b);
    return { decision: { allowed: true }, hits, expiresAtMs: hits.at(-1)! + windowMs };
  }
  const oldest = inWindow[inWindow.length - limit]!;
  const retryAfterSeconds = Math.max(Math.ceil((oldest + windowMs - nowMs) / 1000), 1);
  return { decision: { allowed: false, retryAfterSeconds }, hits: inWindow, expiresAtMs: inWindow.at(-1)! + windowMs };
}
