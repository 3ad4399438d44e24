import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { migrations } from "../../src/store/sqlite/migrations.js";
import { mail, reply, revision } from "./mail-fixture.js";

let dir: string;
let store: SqliteStore;
const T0 = 1_000_000;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "irqtriage-store-"));
  store = SqliteStore.open(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ingest = (m: ReturnType<typeof mail>, now = T0, extra: Partial<Parameters<SqliteStore["ingestMessage"]>[0]> = {}) =>
  store.ingestMessage({ message: m, mailbox: "imap://u@h:1/INBOX", uid: null, ignored: null, checkpoint: null, settleMs: 0, maxDelayMs: 60_000, now, ...extra });

describe("SqliteStore schema", () => {
  it("runs numbered migrations once, in WAL mode, and reopens without re-running them", async () => {
    expect(store.schemaVersion()).toBe(migrations[migrations.length - 1]?.version);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    await store.close();
    store = SqliteStore.open(dir);
    const db = new Database(path.join(dir, "irqtriage.sqlite"), { readonly: true });
    expect((db.prepare("SELECT COUNT(*) AS n FROM schema_version").get() as { n: number }).n).toBe(migrations.length);
    db.close();
  });
});

describe("messages and checkpoints", () => {
  it("dedups by Message-ID and moves the checkpoint in the same transaction", async () => {
    const cp = { mailbox: "imap://u@h:1/INBOX", uidValidity: 7, lastUid: 3 };
    const a = await ingest(mail("a@x"), T0, { uid: 3, checkpoint: cp });
    expect(a.inserted).toBe(true);
    expect(a.jobId).not.toBeNull();
    const again = await ingest(mail("a@x"), T0, { uid: 9, checkpoint: { ...cp, lastUid: 9 } });
    expect(again.inserted).toBe(false);
    expect(again.jobId).toBeNull();
    expect(await store.getCheckpoint(cp.mailbox)).toEqual({ ...cp, lastUid: 9 });
    // a lower UID never moves the checkpoint back (same UIDVALIDITY) ...
    await store.setCheckpoint({ ...cp, lastUid: 2 });
    expect((await store.getCheckpoint(cp.mailbox))?.lastUid).toBe(9);
    // ... but a new UIDVALIDITY resets it
    await store.setCheckpoint({ ...cp, uidValidity: 8, lastUid: 0 });
    expect(await store.getCheckpoint(cp.mailbox)).toEqual({ mailbox: cp.mailbox, uidValidity: 8, lastUid: 0 });
    expect(await store.messageCount()).toBe(1);
  });

  it("keeps raw bytes and revives dates; threads replies (also early ones) under one root", async () => {
    await ingest(mail("r2@x", { inReplyTo: "r1@x", references: ["root@x", "r1@x"] }));
    await ingest(mail("root@x"));
    await ingest(mail("r1@x", { inReplyTo: "root@x", references: ["root@x"] }));
    await ingest(mail("r3@x", { inReplyTo: "r2@x" }));
    expect(await store.threadRootOf("r2@x")).toBe("root@x");
    expect(await store.threadRootOf("r3@x")).toBe("root@x");
    const thread = await store.threadMessages("root@x");
    expect(thread.map((m) => m.msgid).sort()).toEqual(["r1@x", "r2@x", "r3@x", "root@x"]);
    expect(thread[0]?.date).toBeInstanceOf(Date);
    expect(thread[0]?.raw?.toString()).toContain("Message-ID:");
  });

  it("keeps the first copy of a Message-ID and records a later one from another sender or with another body (issue 12)", async () => {
    await ingest(mail("dup@x", { bodyHash: "h1" }));
    const same = await ingest(mail("dup@x", { bodyHash: "h1", from: { name: "Dev", address: "DEV@Example.org" }, source: "list copy" }));
    expect(same).toMatchObject({ inserted: false });
    expect(same.conflict).toBeUndefined();
    const forged = await ingest(mail("dup@x", { bodyHash: "h2", from: { name: "Irq Maintainer", address: "maz@kernel.org" }, source: "forged", text: "Reviewed-by: x\n" }), T0 + 1);
    expect(forged).toMatchObject({ inserted: false, jobId: null, conflict: "different sender: maz@kernel.org, the first copy is from dev@example.org" });
    const edited = await ingest(mail("dup@x", { bodyHash: "h3", source: "edited" }), T0 + 2);
    expect(edited.conflict).toBe("different body");
    expect((await store.getMessage("dup@x"))?.message.from?.address).toBe("dev@example.org");
    expect((await store.conflicts(10)).map((c) => [c.source, c.reason])).toEqual([
      ["edited", "different body"],
      ["forged", "different sender: maz@kernel.org, the first copy is from dev@example.org"],
    ]);
    expect(await store.messageCount()).toBe(1);
  });

  it("ignored mail is stored but queues no job", async () => {
    const out = await ingest(mail("bot@x"), T0, { ignored: "bot header auto-submitted" });
    expect(out.inserted).toBe(true);
    expect(out.jobId).toBeNull();
    expect((await store.ignoredMessages(10))[0]?.ignored).toMatch(/auto-submitted/);
  });

  it("lineage context pulls the same author's other patch threads", async () => {
    await ingest(mail("v1@x", { subject: "[PATCH] genirq: fix", date: new Date("2026-01-01T00:00:00Z") }));
    await ingest(mail("v2@x", { subject: "[PATCH v2] genirq: fix it", date: new Date("2026-01-05T00:00:00Z") }));
    await ingest(mail("other@x", { subject: "[PATCH] net: x", from: { name: "O", address: "o@example.org" } }));
    const ctx = await store.lineageContext("v2@x", 30);
    expect(ctx.map((m) => m.msgid).sort()).toEqual(["v1@x", "v2@x"]);
  });
});

describe("job queue", () => {
  it("coalesces a burst into one queued job per thread, debounced and capped", async () => {
    const id1 = await store.enqueueJob({ kind: "triage", key: "t", runAt: T0 + 100, debounceMs: 100, maxDelayMs: 250, now: T0 });
    const id2 = await store.enqueueJob({ kind: "triage", key: "t", runAt: T0 + 200, debounceMs: 100, maxDelayMs: 250, now: T0 + 100, payload: { retest: ["c1"] } });
    const id3 = await store.enqueueJob({ kind: "triage", key: "t", runAt: T0 + 300, debounceMs: 100, maxDelayMs: 250, now: T0 + 200, payload: { retest: ["c2"] } });
    expect(new Set([id1, id2, id3]).size).toBe(1);
    const [job] = await store.jobs({ states: ["queued"] });
    expect(job?.runAt).toBe(T0 + 250); // capped at first request + maxDelay
    expect(job?.payload).toEqual({ retest: ["c1", "c2"] });
  });

  it("claims due jobs within per-kind limits and never the same key twice at once", async () => {
    await store.enqueueJob({ kind: "apply", key: "a", runAt: T0, now: T0 });
    await store.enqueueJob({ kind: "apply", key: "b", runAt: T0, now: T0 });
    await store.enqueueJob({ kind: "triage", key: "c", runAt: T0 + 5_000, now: T0 });
    const limits = { apply: 1, triage: 2 };
    const j1 = await store.claimJob("w1", ["apply", "triage"], limits, 1_000, T0);
    expect(j1?.kind).toBe("apply");
    expect(await store.claimJob("w2", ["apply", "triage"], limits, 1_000, T0)).toBeNull(); // apply full, triage not due
    await store.completeJob(j1!.id, "w1", T0 + 1);
    const j2 = await store.claimJob("w2", ["apply"], limits, 1_000, T0 + 2);
    expect(j2?.key).toBe("b");
    // the same key enqueued while it runs waits for the running one
    await store.enqueueJob({ kind: "apply", key: "b", runAt: T0, now: T0 + 3 });
    expect(await store.claimJob("w3", ["apply"], { apply: 5 }, 1_000, T0 + 4)).toBeNull();
  });

  it("takes over a job whose lease expired, and releases leases of dead owners", async () => {
    await store.enqueueJob({ kind: "triage", key: "k", runAt: T0, now: T0 });
    const j = await store.claimJob("dead-worker", ["triage"], {}, 1_000, T0);
    expect(await store.claimJob("w2", ["triage"], {}, 1_000, T0 + 500)).toBeNull();
    const taken = await store.claimJob("w2", ["triage"], {}, 1_000, T0 + 1_001);
    expect(taken?.id).toBe(j?.id);
    expect(taken?.attempts).toBe(2);
    expect(await store.releaseLeases((o) => o !== "w2", T0 + 1_100)).toBe(1);
    expect((await store.jobs({ states: ["queued"] }))[0]?.id).toBe(j?.id);
  });

  it("retries with exponential backoff, then dead-letters; requeue brings it back", async () => {
    await store.enqueueJob({ kind: "triage", key: "k", runAt: T0, now: T0 });
    let now = T0;
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const j = await store.claimJob("w", ["triage"], {}, 10_000, now);
      expect(j).not.toBeNull();
      const state = await store.failJob(j!.id, "w", "boom", now, { retryable: true, backoffMs: 1_000, maxAttempts: 3 });
      if (i < 2) {
        expect(state).toBe("queued");
        const q = (await store.jobs({ states: ["queued"] }))[0]!;
        delays.push(q.runAt - now);
        now = q.runAt;
      } else {
        expect(state).toBe("dead");
      }
    }
    expect(delays[0]).toBeGreaterThanOrEqual(800);
    expect(delays[0]).toBeLessThanOrEqual(1_200);
    expect(delays[1]).toBeGreaterThanOrEqual(1_600);
    expect(delays[1]).toBeLessThanOrEqual(2_400);
    const dead = await store.jobs({ states: ["dead"] });
    expect(dead[0]?.lastError).toBe("boom");
    expect(await store.requeueDead(dead[0]!.id, now)).toBe(true);
    expect((await store.queueCounts()).queued).toBe(1);
  });

  it("a non-retryable failure is dead at once; parking does not count the attempt", async () => {
    await store.enqueueJob({ kind: "triage", key: "p", runAt: T0, now: T0 });
    const j = await store.claimJob("w", ["triage"], {}, 10_000, T0);
    await store.parkJob(j!.id, "w", T0 + 1);
    const again = await store.claimJob("w", ["triage"], {}, 10_000, T0 + 2);
    expect(again?.attempts).toBe(1);
    expect(await store.failJob(again!.id, "w", "bad mail", T0 + 3, { retryable: false, backoffMs: 10, maxAttempts: 9 })).toBe("dead");
  });
});

describe("triage results and the outbox", () => {
  it("records results and replies in one transaction, once per key", async () => {
    await ingest(mail("p1@x"));
    const rec = { root: "p1@x", results: [{ lineage: "p1@x", revision: revision(1, ["p1@x"]) }], replies: [reply("p1@x#v1", "p1@x")], retest: null, now: T0 };
    expect((await store.recordTriage(rec)).queued).toEqual(["p1@x#v1"]);
    const second = await store.recordTriage({ ...rec, now: T0 + 1 });
    expect(second.queued).toEqual([]);
    expect(second.skipped[0]?.why).toMatch(/already/);
    expect((await store.revisionResults())[0]?.result.title).toBe("series v1");
    expect(await store.outbox()).toHaveLength(1);
  });

  it("a reply whose Message-ID is already in the outbox is not added again under another key", async () => {
    await store.recordTriage({ root: "p@x", results: [], replies: [reply("k#v1", "p@x", "same@bot"), reply("k#v2", "p@x", "same@bot")], retest: null, now: T0 });
    expect((await store.outbox()).map((e) => e.key)).toEqual(["k#v1"]);
  });

  it("a failing transaction leaves neither results nor replies", async () => {
    const bad = revision(2, ["p@x"]) as unknown as Record<string, unknown>;
    bad["self"] = bad; // JSON.stringify throws half-way through the transaction
    await expect(
      store.recordTriage({
        root: "p@x",
        results: [{ lineage: "k", revision: revision(1, ["p@x"]) }, { lineage: "k", revision: bad as never }],
        replies: [reply("k#v1", "p@x")],
        retest: null,
        now: T0,
      }),
    ).rejects.toThrow(/circular/i);
    expect(await store.revisionResults()).toEqual([]);
    expect(await store.outbox()).toEqual([]);
  });

  it("a retest request allows one more reply, under its own key and Message-ID", async () => {
    await ingest(mail("p@x"));
    const rec = { root: "p@x", results: [], replies: [reply("p@x#v1", "p@x")], retest: null, now: T0 };
    await store.recordTriage(rec);
    const req = await store.requestRetest({ msgid: "p@x", requestedBy: "cmd@x", now: T0 + 1 });
    expect(req?.root).toBe("p@x");
    const out = await store.recordTriage({ ...rec, retest: "cmd@x", now: T0 + 2 });
    expect(out.queued).toHaveLength(1);
    const entries = await store.outbox();
    expect(entries).toHaveLength(2);
    const retest = entries.find((e) => e.key !== "p@x#v1")!;
    expect(retest.eml).toContain(`Message-ID: <${retest.messageId}>`);
    expect(retest.inReplyTo).toBe("p@x");
    // the token is used up: a rerun adds nothing
    expect((await store.recordTriage({ ...rec, retest: "cmd@x", now: T0 + 3 })).queued).toEqual([]);
  });

  it("pending -> sending -> sent; a list copy confirms an in-doubt entry", async () => {
    await store.recordTriage({ root: "p@x", results: [], replies: [reply("a#v1", "p@x", "ra@bot"), reply("b#v1", "p@x", "rb@bot")], retest: null, now: T0 });
    expect((await store.duePending(T0, 10)).map((e) => e.key)).toEqual(["a#v1", "b#v1"]);
    expect(await store.markSending("a#v1", T0)).toBe(true);
    expect(await store.markSending("a#v1", T0)).toBe(false);
    await store.markSent("a#v1", T0 + 1, "smtp");
    expect(await store.markSending("b#v1", T0)).toBe(true);
    expect((await store.inDoubt()).map((e) => e.key)).toEqual(["b#v1"]);
    const seen = await ingest(mail("rb@bot"), T0 + 2, { ignored: "own reply" });
    expect(seen.confirmedOutbox).toBe("b#v1");
    expect((await store.outboxByMessageId("rb@bot"))?.sentHow).toBe("list-copy");
    expect(await store.inDoubt()).toEqual([]);
  });

  it("send failures retry until maxAttempts, then fail", async () => {
    await store.recordTriage({ root: "p@x", results: [], replies: [reply("a#v1", "p@x")], retest: null, now: T0 });
    await store.markSending("a#v1", T0);
    await store.markSendFailed("a#v1", "421 try later", T0 + 10, 2);
    expect((await store.duePending(T0 + 10, 5))[0]?.lastError).toBe("421 try later");
    await store.markSending("a#v1", T0 + 10);
    await store.markSendFailed("a#v1", "550 no", T0 + 20, 2);
    expect((await store.outbox({ state: "failed" }))[0]?.key).toBe("a#v1");
  });
});

describe("commands and stages", () => {
  it("records each command of a mail once and keeps its outcome", async () => {
    const c = { msgid: "cmd@x", index: 0, sender: "Maz@Kernel.org", verb: "retest", args: [], thread: "p@x", now: T0 };
    const a = await store.recordCommand(c);
    const b = await store.recordCommand(c);
    expect(a.inserted).toBe(true);
    expect(b).toEqual({ id: a.id, inserted: false });
    await store.updateCommand(a.id, { state: "done", result: { ok: true }, replyKey: "cmd@x#answer" }, T0 + 1);
    const [rec] = await store.commands({ sender: "maz@kernel.org" });
    expect(rec).toMatchObject({ verb: "retest", state: "done", result: { ok: true }, replyKey: "cmd@x#answer" });
  });

  it("keeps each revision's stage records with its result, and a new run of the revision replaces them", async () => {
    const finding = { id: "bal-foo-abc123", stage: "balance", kind: "new-imbalance", severity: "problem" as const, summary: "foo.c: balanced -> never-disposes", file: "drivers/foo.c", line: 8 };
    const rev = revision(2, ["p1@x"]);
    const stages = [
      { stage: "balance", status: "done" as const, durationMs: 12.4, findings: [finding], details: { changes: 1 } },
      { stage: "sim", status: "failed" as const, durationMs: 3, findings: [], details: null, error: "boom" },
    ];
    await store.recordTriage({ root: "p1@x", results: [{ lineage: "l", revision: rev, stages }], replies: [], retest: null, now: T0 });
    expect(await store.stageResults("l", 2)).toMatchObject([
      { lineage: "l", version: 2, stage: "balance", status: "done", durationMs: 12, findings: [finding], details: { changes: 1 }, at: T0 },
      { stage: "sim", status: "failed", error: "boom", findings: [] },
    ]);
    await store.recordTriage({ root: "p1@x", results: [{ lineage: "l", revision: rev, stages: [stages[0]!] }], replies: [], retest: null, now: T0 + 5 });
    expect((await store.stageResults("l")).map((s) => `${s.version} ${s.stage} ${s.at}`)).toEqual([`2 balance ${T0 + 5}`]);
  });
});
