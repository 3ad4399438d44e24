import { describe, expect, it } from "vitest";
import { buildSharedLsi } from "../../src/sim/build-shared-lsi.js";
import { compileScenario, type CompiledModel } from "../../src/sim/compile-scenario.js";
import type { BatchWorker } from "../../src/sim/explore.js";
import { findSemantics, simulate, type SimOutcome } from "../../src/sim/simulate.js";
import { startBatchWorker } from "../../src/sim/io/start-batch-worker.js";
import { rules } from "./sim-helpers.js";

const strip = (r: SimOutcome): SimOutcome => ({ ...r, seconds: 0 });

/** Starts the real thread and waits until it is up, counting the batches it generates. */
async function readyWorker(model: CompiledModel, symmetry: boolean, seen: { batches: number }): Promise<BatchWorker> {
  const w = startBatchWorker(model, symmetry);
  if (w === null) throw new Error("batch worker thread not built (dist/sim/io/batch-worker-thread.js)");
  const deadline = Date.now() + 20_000;
  while (!w.ready()) {
    if (Date.now() > deadline) throw new Error("batch worker thread not ready after 20 s");
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    ready: () => w.ready(),
    submit: (...a) => {
      seen.batches++;
      w.submit(...a);
    },
    collect: () => w.collect(),
    close: () => w.close(),
  };
}

describe("explorer with a second thread generating batches", () => {
  // mainline runs go on past the premature unmap (marked states, traces through it); they grow
  // fast, so they are smaller than the clean ppc-kref one.
  for (const [semantics, symmetry, devices, driver] of [
    ["mainline", false, 5, "balanced"],
    ["ppc-kref", false, 6, "shared-dispose"],
    ["mainline", true, 6, "balanced"],
  ] as const) {
    it(`${semantics}, ${devices} ${driver} devices, ${symmetry ? "symmetry" : "plain"}: the same states, transitions and traces as one thread`, async () => {
      const r = await rules();
      const scenario = buildSharedLsi({ devices, lines: 2, rounds: 2, driver }, r.topology);
      const seen = { batches: 0 };
      const one = simulate({ rules: r, semantics, scenario }, { symmetry });
      // simulate() is synchronous, so the thread is started (and awaited) before it runs.
      const model = compileScenario(scenario, findSemantics(r, semantics), r.topology, r.classes);
      const pre = await readyWorker(model, symmetry, seen);
      const two = simulate({ rules: r, semantics, scenario }, { symmetry, worker: () => pre });
      expect(one.states).toBeGreaterThan(16_384);
      if (semantics === "mainline") expect(one.afterViolation).toBeGreaterThan(16_384);
      expect(seen.batches).toBeGreaterThan(10);
      expect(strip(two)).toEqual(strip(one));
    }, 60_000);
  }
});
