import type { RateLimitRule } from "../config/sections/commands.js";

export interface WindowDecision {
  allowed: boolean;
  /** The history to keep: timestamps (ms) inside the window, plus `nowMs` when allowed. */
  history: number[];
  /** When allowed is false: ms until the oldest event leaves the window. */
  retryAfterMs: number;
}

/**
 * Sliding-window rate limit, pure: given the times of earlier accepted events and the clock,
 * decide whether one more is allowed and return the history to store. A sliding window (not a
 * token bucket) because "at most N per hour" is what a maintainer can reason about.
 */
export function slidingWindow(history: readonly number[], rule: RateLimitRule, nowMs: number): WindowDecision {
  const windowMs = rule.windowSeconds * 1000;
  const inWindow = history.filter((t) => t > nowMs - windowMs && t <= nowMs).sort((a, b) => a - b);
  if (inWindow.length >= rule.max) {
    const oldest = inWindow[inWindow.length - rule.max] ?? nowMs;
    return { allowed: false, history: inWindow, retryAfterMs: oldest + windowMs - nowMs };
  }
  return { allowed: true, history: [...inWindow, nowMs], retryAfterMs: 0 };
}
