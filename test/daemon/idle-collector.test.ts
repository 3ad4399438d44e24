import { describe, expect, it } from "vitest";
import { IdleCollector } from "../../src/daemon/idle-collector.js";

describe("IdleCollector", () => {
  it("collects (twice) after the quiet time and once more later, then waits for new activity", () => {
    let t = 0;
    let busy = false;
    const runs: number[] = [];
    const c = new IdleCollector({ busy: () => busy, gc: () => runs.push(t), quietMs: 1_000, secondAfterMs: 6_000, now: () => t });
    for (t = 0; t <= 20_000; t += 500) c.check();
    expect(runs).toEqual([1_000, 1_000, 7_000]);
    busy = true;
    c.check(); // a job runs
    busy = false;
    const from = t;
    for (; t <= from + 20_000; t += 500) c.check();
    expect(runs).toEqual([1_000, 1_000, 7_000, from + 1_000, from + 1_000, from + 7_000]);
  });

  it("starts over when mail arrives between the two collections", () => {
    let t = 0;
    const runs: number[] = [];
    const c = new IdleCollector({ busy: () => false, gc: () => runs.push(t), quietMs: 1_000, secondAfterMs: 6_000, now: () => t });
    for (t = 0; t <= 3_000; t += 500) c.check();
    c.touch(); // t = 3500
    for (; t <= 20_000; t += 500) c.check();
    expect(runs).toEqual([1_000, 1_000, 4_500, 4_500, 10_500]);
  });

  it("does nothing without a gc", () => {
    const c = new IdleCollector({ busy: () => false, gc: null, now: () => 10_000 });
    expect(() => c.check()).not.toThrow();
  });
});
