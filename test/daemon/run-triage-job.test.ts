import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runTriageJob } from "../../src/daemon/run-triage-job.js";
import { JobRunner } from "../../src/daemon/job-runner.js";
import type { TriagePipeline } from "../../src/pipeline/build-pipeline.js";
import type { TriageRun } from "../../src/pipeline/triage-messages.js";
import { InputError } from "../../src/errors.js";
import { silentLogger } from "../../src/log/logger.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { mail, reply, revision } from "../store/mail-fixture.js";
import { tempDir, testConfig, waitFor } from "./daemon-harness.js";

/**
 * A small pipeline for the daemon's own logic: every "[PATCH n/m]" thread is one revision
 * (lineage = thread start), missing parts computed from n/m, one reply to the first patch.
 */
const calls: { msgids: string[]; skip: string[] }[] = [];
const pipeline: TriagePipeline = async (messages: MailMessage[], deps) => {
  calls.push({ msgids: messages.map((m) => m.msgid), skip: [...(deps.skip ?? [])] });
  const patches = messages.filter((m) => /\[PATCH/.test(m.subject) && !/^Re:/i.test(m.subject));
  const run: TriageRun = { result: { series: [], errors: [] }, replies: [], revisions: [] };
  const byRoot = new Map<string, MailMessage[]>();
  for (const p of patches) {
    const root = p.references[0] ?? p.msgid;
    byRoot.set(root, [...(byRoot.get(root) ?? []), p]);
  }
  for (const [root, ps] of byRoot) {
    const total = Number(/\/(\d+)\]/.exec(ps[0]?.subject ?? "")?.[1] ?? 1);
    const have = new Set(ps.map((p) => Number(/(\d+)\/\d+\]/.exec(p.subject)?.[1] ?? 1)));
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !have.has(i));
    const rev = revision(1, ps.map((p) => p.msgid), { missing, relevant: !/NOTRELEVANT/.test(ps[0]?.subject ?? "") });
    const key = `${root}#v1`;
    run.result.series.push({ lineage: root, revisions: [rev] });
    const r = deps.skip?.has(key) ? null : reply(key, ps[0]?.msgid ?? root);
    run.revisions.push({ key, lineage: root, result: rev, stages: [], findings: [], sections: [], delta: { previous: null, new: [], unchanged: [], fixed: [] }, reply: r });
    if (r) run.replies.push(r);
  }
  return run;
};

let tmp: ReturnType<typeof tempDir>;
let store: SqliteStore;
let clock = 10_000_000;
const now = () => clock;
const config = testConfig({ daemon: { incompleteGraceMs: 60_000, settleMs: 0 } });
const deps = () => ({ store, pipeline, config, log: silentLogger(), now });
const put = (m: MailMessage, ignored: string | null = null) =>
  store.ingestMessage({ message: m, mailbox: "m", uid: null, ignored, checkpoint: null, settleMs: 0, maxDelayMs: 0, now: clock });

beforeEach(() => {
  tmp = tempDir("irqtriage-job-");
  store = SqliteStore.open(tmp.dir);
  calls.length = 0;
});
afterEach(async () => {
  await store.close();
  tmp.remove();
});

describe("runTriageJob", () => {
  it("records results and queues one reply; a rerun passes the answered key as skip and adds nothing", async () => {
    await put(mail("s1@x", { subject: "[PATCH 1/1] genirq: x" }));
    const first = await runTriageJob("s1@x", [], deps());
    expect(first.queued).toEqual(["s1@x#v1"]);
    expect((await store.revisionResults())[0]?.lineage).toBe("s1@x");
    await put(mail("r1@x", { subject: "Re: [PATCH 1/1] genirq: x", inReplyTo: "s1@x", references: ["s1@x"] }));
    const again = await runTriageJob("s1@x", [], deps());
    expect(again.queued).toEqual([]);
    expect(calls[1]?.skip).toContain("s1@x#v1");
    expect(calls[1]?.msgids.sort()).toEqual(["r1@x", "s1@x"]);
    expect(await store.outbox()).toHaveLength(1);
  });

  it("holds an incomplete series back until it has been quiet for incompleteGraceMs", async () => {
    await put(mail("k0@x", { subject: "[PATCH 1/2] a" }));
    expect(await store.claimJob("w", ["triage"], {}, 1_000, clock)).not.toBeNull(); // as the runner would
    const out = await runTriageJob("k0@x", [], deps());
    expect(out.queued).toEqual([]);
    expect(out.deferredUntil).toBe(clock + 60_000);
    expect((await store.jobs({ states: ["queued"] }))[0]?.runAt).toBe(clock + 60_000);
    clock += 60_001;
    expect((await runTriageJob("k0@x", [], deps())).queued).toEqual(["k0@x#v1"]);
  });

  it("never answers ignored mail, its own replies, or irrelevant revisions", async () => {
    await put(mail("bot@x", { subject: "[PATCH 1/1] from a bot" }), "bot header auto-submitted");
    expect((await runTriageJob("bot@x", [], deps())).revisions).toBe(0);
    await put(mail("nr@x", { subject: "[PATCH 1/1] NOTRELEVANT" }));
    expect((await runTriageJob("nr@x", [], deps())).skipped[0]?.why).toMatch(/not relevant/);
    expect(await store.outbox()).toHaveLength(0);
  });

  it("a retest gives one more reply for the thread, and only one", async () => {
    await put(mail("s1@x", { subject: "[PATCH 1/1] genirq: x" }));
    await runTriageJob("s1@x", [], deps());
    const req = await store.requestRetest({ msgid: "s1@x", requestedBy: "cmd-1@x", now: clock });
    expect(req).not.toBeNull();
    const out = await runTriageJob("s1@x", ["cmd-1@x"], deps());
    expect(out.queued).toHaveLength(1);
    expect(out.queued[0]).toMatch(/^s1@x#v1#retest-/);
    expect(calls.at(-1)?.skip).not.toContain("s1@x#v1");
    expect((await runTriageJob("s1@x", ["cmd-1@x"], deps())).queued).toEqual([]);
    expect(await store.outbox()).toHaveLength(2);
  });
});

describe("JobRunner", () => {
  it("runs jobs, retries failures with backoff, dead-letters bad input, and parks on stop", async () => {
    let flaky = 0;
    let release: () => void = () => undefined;
    const runner = new JobRunner({
      store,
      owner: "me",
      handlers: {
        triage: async ({ job }) => {
          if (job.key === "flaky" && flaky++ < 2) throw new Error("transient");
          if (job.key === "bad") throw new InputError("hopeless mail", "x");
        },
        qemu: ({ signal }) => new Promise<void>((resolve) => {
          release = resolve;
          signal.addEventListener("abort", () => resolve());
        }),
      },
      limits: { triage: 2, qemu: 1 },
      leaseMs: 5_000,
      maxAttempts: 5,
      backoffMs: 10,
      pollMs: 20,
      log: silentLogger(),
    });
    const t = Date.now();
    for (const key of ["flaky", "bad", "ok"]) await store.enqueueJob({ kind: "triage", key, runAt: t, now: t });
    await store.enqueueJob({ kind: "qemu", key: "boot", runAt: t, now: t });
    runner.start();
    await waitFor("triage jobs settled", async () => {
      const c = await store.queueCounts();
      return c.done === 2 && c.dead === 1;
    }, 10_000);
    expect(flaky).toBe(3);
    expect((await store.jobs({ states: ["dead"] }))[0]).toMatchObject({ key: "bad", lastError: "hopeless mail", attempts: 1 });
    expect((await store.queueCounts()).running).toBe(1); // the qemu job is still running
    await runner.stop(100);
    const parked = await store.jobs({ states: ["queued"] });
    expect(parked.map((j) => [j.key, j.attempts])).toEqual([["boot", 0]]);
    release();
  });
});
