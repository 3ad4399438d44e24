import type { RateLimitRule } from "../config/sections/commands.js";
import { slidingWindow } from "./sliding-window.js";

/** Where rate-limit histories live. The daemon backs this with its store; tests use memory. */
export interface RateLimitStore {
  load(key: string): Promise<number[]>;
  save(key: string, history: number[]): Promise<void>;
}

export function memoryRateLimitStore(): RateLimitStore {
  const m = new Map<string, number[]>();
  return {
    load: async (k) => [...(m.get(k) ?? [])],
    save: async (k, h) => void m.set(k, [...h]),
  };
}

export type RateOutcome = { allowed: true } | { allowed: false; scope: "sender" | "thread"; retryAfterMs: number };

/**
 * Per-sender and per-thread limits on command mails. One accepted mail counts once against both;
 * a refused mail counts against neither (so a burst does not extend its own penalty).
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly rules: { perSender: RateLimitRule; perThread: RateLimitRule },
  ) {}

  async take(sender: string, thread: string | null, nowMs: number): Promise<RateOutcome> {
    const sKey = `sender:${sender.toLowerCase()}`;
    const tKey = thread === null ? null : `thread:${thread}`;
    const s = slidingWindow(await this.store.load(sKey), this.rules.perSender, nowMs);
    if (!s.allowed) return { allowed: false, scope: "sender", retryAfterMs: s.retryAfterMs };
    if (tKey !== null) {
      const t = slidingWindow(await this.store.load(tKey), this.rules.perThread, nowMs);
      if (!t.allowed) return { allowed: false, scope: "thread", retryAfterMs: t.retryAfterMs };
      await this.store.save(tKey, t.history);
    }
    await this.store.save(sKey, s.history);
    return { allowed: true };
  }
}
