import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyIgnores } from "../../src/mail-commands/apply-ignores.js";
import { processCommandMail, type CommandMailDeps } from "../../src/mail-commands/io/process-command-mail.js";
import { RateLimiter } from "../../src/mail-commands/rate-limiter.js";
import { storeCommandContext, storeRateLimitStore } from "../../src/mail-commands/io/store-command-context.js";
import { validateConfig } from "../../src/config/validate-config.js";
import { silentLogger } from "../../src/log/logger.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { RevisionResult } from "../../src/types/triage-result.js";
import { commandMailRaw, toMailMessage } from "./command-mail-fixture.js";

const lineage = "v2-cover@example.org";
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-cmdstore-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function revision(version: number): RevisionResult {
  return {
    version,
    rfc: false,
    title: "irqdomain: dispose mappings on remove",
    author: "Author <author@example.org>",
    cover: null,
    patches: [{ msgid: lineage, index: 1, total: 1, subject: "[PATCH v2 1/1] irqdomain: dispose mappings on remove" }],
    missing: [],
    reviews: [],
    trailers: [],
    relevant: true,
    reasons: ["touches kernel/irq/irqdomain.c"],
    apply: { status: "applied", base: "abc123", failed: null },
    reply: null,
    status: "live",
    applied: null,
    quiet: null,
    findings: [],
  };
}

async function ingest(store: SqliteStore, msg: MailMessage, uid: number): Promise<void> {
  await store.ingestMessage({ message: msg, mailbox: "INBOX", uid, ignored: null, checkpoint: null, settleMs: 0, maxDelayMs: 0, now: 1_000 + uid });
}

function deps(store: SqliteStore, now: Date): CommandMailDeps {
  const v = validateConfig({ commands: { allowlist: ["maint@example.org"], requireDkim: false, rateLimit: { perSender: { max: 3, windowSeconds: 3600 } } } });
  if (!v.ok) throw new Error(v.problems.join("; "));
  return {
    config: v.config,
    ctx: storeCommandContext(store, () => now.getTime()),
    log: silentLogger(),
    maintainers: [],
    rateLimiter: new RateLimiter(storeRateLimitStore(store), v.config.commands.rateLimit),
    now: () => now,
  };
}

describe("storeCommandContext on the SQLite store", () => {
  it("retest goes through the store's retest request; ignore, quiet and rate limits survive a restart", async () => {
    const patch = await toMailMessage(Buffer.from(commandMailRaw({ from: "author@example.org", msgid: lineage, subject: "[PATCH v2 1/1] irqdomain: dispose mappings on remove", body: "diff --git a/x b/x\r\n" })));
    const cmdRaw = commandMailRaw({
      from: "maint@example.org",
      msgid: "cmd-a@example.org",
      inReplyTo: lineage,
      body: "#irqtriage retest\r\n#irqtriage ignore never-disposes-1 shared on purpose\r\n#irqtriage quiet\r\n",
    });
    const cmd = await toMailMessage(Buffer.from(cmdRaw));
    let store = SqliteStore.open(dir);
    try {
      await ingest(store, patch, 1);
      await store.recordTriage({ root: lineage, results: [{ lineage, revision: revision(2) }], replies: [], retest: null, now: 2_000 });
      await ingest(store, cmd, 2);
      const out = await processCommandMail({ msg: cmd, raw: Buffer.from(cmdRaw) }, deps(store, new Date(10_000)));
      expect(out.status).toBe("answered");
      expect(out.records.map((r) => `${r.verb}:${r.outcome}`)).toEqual(["retest:done", "ignore:done", "quiet:done"]);
      const jobs = await store.jobs({ states: ["queued"] });
      expect(jobs.some((j) => j.kind === "triage" && j.key === lineage && JSON.stringify(j.payload).includes("cmd-a@example.org"))).toBe(true);
    } finally {
      await store.close();
    }

    store = SqliteStore.open(dir);
    try {
      const ctx = storeCommandContext(store);
      const ignores = await ctx.listIgnores(lineage);
      expect(ignores.map((i) => [i.findingId, i.reason, i.version, i.by])).toEqual([["never-disposes-1", "shared on purpose", 2, "maint@example.org"]]);
      expect(applyIgnores([{ id: "never-disposes-1" }, { id: "other-2" }], ignores).lines).toEqual([
        "suppressed: never-disposes-1 (ignored by maint@example.org on v2: shared on purpose)",
      ]);
      expect(await ctx.isQuiet(lineage)).toBe(true);
      const status = await ctx.statusOf(lineage);
      expect(status).toMatchObject({ title: "irqdomain: dispose mappings on remove", quiet: true, revisions: [{ version: 2, state: "relevant, apply applied", findings: null }] });
      // Sender budget is 3 mails per hour: two more pass, the next is refused, after a restart.
      for (const [i, expected] of [["b", "answered"], ["c", "answered"], ["d", "rate-limited"]] as const) {
        const raw = commandMailRaw({ from: "maint@example.org", msgid: `cmd-${i}@example.org`, inReplyTo: lineage, body: "#irqtriage help\r\n" });
        const m = await toMailMessage(Buffer.from(raw));
        await ingest(store, m, 10 + i.charCodeAt(0));
        const out = await processCommandMail({ msg: m, raw: Buffer.from(raw) }, deps(store, new Date(20_000)));
        expect(out.status).toBe(expected);
      }
      const history = await store.commands({ limit: 50 });
      expect(history.filter((c) => c.msgid === "cmd-d@example.org").map((c) => c.state)).toEqual(["refused"]);
    } finally {
      await store.close();
    }
  });
});

describe("createCommandProcessor", () => {
  it("wires MAINTAINERS of the mirror, the store context and the rate limiter together", async () => {
    const { execFileSync } = await import("node:child_process");
    const { writeFile } = await import("node:fs/promises");
    const { createCommandProcessor } = await import("../../src/mail-commands/io/create-command-processor.js");
    const mirror = path.join(dir, "mirror");
    const g = (...a: string[]) => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@x", "-c", "init.defaultBranch=master", ...a], { cwd: mirror });
    execFileSync("mkdir", ["-p", mirror]);
    g("init", "-q");
    await writeFile(path.join(mirror, "MAINTAINERS"), "IRQ SUBSYSTEM\nM:\tThomas Gleixner <tglx@linutronix.de>\nS:\tMaintained\n");
    g("add", ".");
    g("commit", "-q", "-m", "m");
    const v = validateConfig({ mirror: { path: mirror }, commands: { requireDkim: false } });
    if (!v.ok) throw new Error(v.problems.join("; "));
    const store = SqliteStore.open(path.join(dir, "state"));
    try {
      const patch = await toMailMessage(Buffer.from(commandMailRaw({ from: "author@example.org", msgid: lineage, body: "diff --git a/x b/x\r\n" })));
      await ingest(store, patch, 1);
      await store.recordTriage({ root: lineage, results: [{ lineage, revision: revision(2) }], replies: [], retest: null, now: 2_000 });
      const proc = await createCommandProcessor(v.config, store, silentLogger(), { now: () => new Date(5_000) });
      const raw = commandMailRaw({ from: "tglx@linutronix.de", msgid: "q@linutronix.de", inReplyTo: lineage, body: "#irqtriage quiet\r\n" });
      const m = await toMailMessage(Buffer.from(raw));
      await ingest(store, m, 2);
      const out = await proc.process({ msg: m, raw: Buffer.from(raw) });
      expect(out.auth).toMatchObject({ ok: true, via: "maintainers", sender: "tglx@linutronix.de" });
      expect(await proc.isQuiet(lineage)).toBe(true);
      const stranger = commandMailRaw({ from: "someone@example.org", msgid: "s@example.org", inReplyTo: lineage, body: "#irqtriage quiet\r\n" });
      const sOut = await proc.process({ msg: await toMailMessage(Buffer.from(stranger)), raw: Buffer.from(stranger) });
      expect(sOut.status).toBe("refused-not-allowed");
    } finally {
      await store.close();
    }
  });
});
