import { describe, expect, it } from "vitest";
import { memoryRateLimitStore, RateLimiter } from "../../src/mail-commands/rate-limiter.js";
import { slidingWindow } from "../../src/mail-commands/sliding-window.js";

describe("slidingWindow", () => {
  const rule = { max: 3, windowSeconds: 60 };
  it("allows max events in the window, then refuses until the oldest leaves it", () => {
    let h: number[] = [];
    for (const t of [0, 10_000, 20_000]) {
      const d = slidingWindow(h, rule, t);
      expect(d.allowed).toBe(true);
      h = d.history;
    }
    const refused = slidingWindow(h, rule, 30_000);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 30_000 });
    expect(slidingWindow(h, rule, 59_999).allowed).toBe(false);
    const later = slidingWindow(h, rule, 60_001);
    expect(later.allowed).toBe(true);
    expect(later.history).toEqual([10_000, 20_000, 60_001]);
  });
});

describe("RateLimiter", () => {
  it("limits per sender and per thread independently; refusals do not count", async () => {
    const rl = new RateLimiter(memoryRateLimitStore(), { perSender: { max: 2, windowSeconds: 3600 }, perThread: { max: 3, windowSeconds: 3600 } });
    expect(await rl.take("A@x.org", "t1", 1)).toEqual({ allowed: true });
    expect(await rl.take("a@x.org", "t2", 2)).toEqual({ allowed: true });
    expect(await rl.take("a@X.org", "t3", 3)).toMatchObject({ allowed: false, scope: "sender" });
    expect(await rl.take("b@x.org", "t1", 4)).toEqual({ allowed: true });
    expect(await rl.take("c@x.org", "t1", 5)).toEqual({ allowed: true });
    expect(await rl.take("d@x.org", "t1", 6)).toMatchObject({ allowed: false, scope: "thread" });
    // d's refused attempt did not use d's sender budget.
    expect(await rl.take("d@x.org", null, 7)).toEqual({ allowed: true });
    expect(await rl.take("a@x.org", "t9", 3_600_002)).toEqual({ allowed: true });
  });
});
