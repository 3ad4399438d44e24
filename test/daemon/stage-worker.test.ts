import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeries, type DemoSeries } from "../support/demo-series.js";
import { pino, type Logger } from "pino";
import type { Config } from "../../src/config/config.js";
import { StageWorker } from "../../src/daemon/stage-worker.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { silentLogger } from "../../src/log/logger.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import { rulesDir } from "../../src/package-root.js";
import { defaultStages } from "../../src/pipeline/stage-registry.js";
import type { StageInput } from "../../src/types/stage.js";
import { triageMessages, type TriageRun } from "../../src/pipeline/triage-messages.js";

// The daemon runs the simulation (and optionally the balance analysis) in a helper process
// that exits when idle, so the memory those stages churn through goes back to the OS. The
// helper must be invisible in the results: same output, same errors, same logs.
let demo: DemoSeries;
let config: Config;
let messages: MailMessage[];
let mirror: LocalGitMirror;

beforeAll(async () => {
  demo = await demoSeries("irqtriage-stage-worker-");
  ({ config, messages, mirror } = demo);
}, 120_000);

afterAll(async () => {
  await demo.close();
});

async function triage(worker: StageWorker | null, log: Logger = silentLogger()): Promise<TriageRun> {
  const stages = defaultStages().map((s) => (worker && (s.name === "balance" || s.name === "sim") ? worker.wrap(s) : s));
  const now = new Date("2026-11-25T12:00:00Z");
  return triageMessages(messages, { config, log, rules: await loadRelevanceRules(rulesDir), mirror, stages, now: () => now });
}

/** Stage details without the timings (seconds, ms), which differ from run to run. */
function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "seconds" && k !== "ms" && k !== "durationMs").map(([k, x]) => [k, untimed(x)]));
  return v;
}

/** A stage input for the simulation stage (its own config section). */
function input(over: Partial<StageInput<unknown>> = {}): StageInput<unknown> {
  return {
    lineage: "x@example.org",
    revision: { relevant: true } as unknown as StageInput<unknown>["revision"],
    diffs: [],
    mirror: null,
    base: null,
    applied: null,
    facts: {},
    ignored: new Set(),
    config: config.sim,
    stateDir: config.stateDir,
    log: silentLogger(),
    ...over,
  };
}

describe("stage worker (helper process)", () => {
  it("gives the same results and replies as the stages run in the daemon itself", async () => {
    const worker = new StageWorker({ idleMs: 60_000, log: silentLogger() });
    expect(worker.available).toBe(true);
    try {
      const inProcess = await triage(null);
      const inWorker = await triage(worker);
      expect(worker.running).toBe(true);
      expect(inWorker.result).toEqual(inProcess.result);
      expect(inWorker.replies.map((r) => r.eml)).toEqual(inProcess.replies.map((r) => r.eml));
      expect(untimed(inWorker.revisions.map((r) => r.stages))).toEqual(untimed(inProcess.revisions.map((r) => r.stages)));
      expect(inWorker.replies.some((r) => /Reference-count simulation/.test(r.eml))).toBe(true);
      expect(inWorker.replies.some((r) => /IRQ mapping balance/.test(r.eml))).toBe(true);
    } finally {
      await worker.stop();
    }
    expect(worker.running).toBe(false);
  }, 180_000);

  it("exits when idle and starts again for the next stage", async () => {
    const worker = new StageWorker({ idleMs: 200, log: silentLogger() });
    try {
      const diff = "--- a/kernel/irq/irqdomain.c\n+++ b/kernel/irq/irqdomain.c\n@@ -1,1 +1,1 @@\n-\tirq_dispose_mapping(virq);\n+\tirq_dispose_mapping(virq); /* x */\n";
      const first = await worker.run("sim", input({ diffs: [diff] }));
      expect(first).not.toBeNull();
      expect(worker.running).toBe(true);
      for (let i = 0; i < 100 && worker.running; i++) await new Promise((r) => setTimeout(r, 50));
      expect(worker.running).toBe(false);
      const second = await worker.run("sim", input({ diffs: [diff] }));
      expect(untimed(second)).toEqual(untimed(first));
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("runs the stage again in a new helper when the helper dies under it", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    const worker = new StageWorker({ idleMs: 60_000, log: silentLogger() });
    try {
      const diff = "--- a/kernel/irq/irqdomain.c\n+++ b/kernel/irq/irqdomain.c\n@@ -1,1 +1,1 @@\n-\tirq_dispose_mapping(virq);\n+\tirq_dispose_mapping(virq); /* x */\n";
      const expected = await worker.run("sim", input({ diffs: [diff] }));
      await worker.stop();
      const pending = worker.run("sim", input({ diffs: [diff], log }));
      const pid = worker.pid;
      expect(pid).not.toBeNull();
      process.kill(pid as number, "SIGKILL");
      expect(untimed(await pending)).toEqual(untimed(expected));
      expect(worker.pid).not.toBe(pid);
      expect(lines.some((l) => /stage worker died; running the stage again/.test(l))).toBe(true);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("reports a stage's error by name and message", async () => {
    const worker = new StageWorker({ idleMs: 60_000, log: silentLogger() });
    try {
      const err = await worker.run("no-such-stage", input()).then(() => null, (e: unknown) => e as Error);
      expect(err?.name).toBe("Error");
      expect(err?.message).toBe('no stage "no-such-stage" in the stage worker');
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("writes the stages' logs through the job's logger, as when they run in the daemon", async () => {
    const capture = async (worker: StageWorker | null): Promise<string[]> => {
      const lines: string[] = [];
      const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) });
      await triage(worker, log);
      return lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r["stage"] === "balance" || r["stage"] === "sim")
        .map((r) => `${String(r["level"])} ${String(r["revision"])} ${String(r["stage"])} ${String(r["msg"])}`)
        .sort();
    };
    const worker = new StageWorker({ idleMs: 60_000, log: silentLogger() });
    try {
      const inWorker = await capture(worker);
      const inProcess = await capture(null);
      expect(inWorker.some((l) => /^30 a1-0@dev\.example\.org#v3 balance delta: done$/.test(l))).toBe(true);
      expect(inWorker).toEqual(inProcess);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it("does not start a helper for a stage with nothing to do", async () => {
    const worker = new StageWorker({ idleMs: 60_000, log: silentLogger() });
    const [balance] = defaultStages();
    if (!balance) throw new Error("no balance stage");
    expect(await worker.wrap(balance).run(input({ mirror: null, config: {} }))).toBeNull();
    expect(worker.running).toBe(false);
  });
});
