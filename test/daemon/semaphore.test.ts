import { describe, expect, it } from "vitest";
import { Semaphore } from "../../src/daemon/semaphore.js";

describe("Semaphore", () => {
  it("never lets more than `limit` run at once, and runs all of them in order", async () => {
    const s = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        s.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5 + (i % 3)));
          order.push(i);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await expect(s.run(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(s.inUse).toBe(0);
  });
});
