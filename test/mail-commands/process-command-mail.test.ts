import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { applyIgnores } from "../../src/mail-commands/apply-ignores.js";
import { renderSuppressedSection } from "../../src/mail-commands/render-suppressed-section.js";
import type { CommandsConfig } from "../../src/config/sections/commands.js";
import { memoryCommandContext } from "../../src/mail-commands/memory-command-context.js";
import { commandReplyKey, processCommandMail, type CommandMailDeps } from "../../src/mail-commands/io/process-command-mail.js";
import { memoryRateLimitStore, RateLimiter } from "../../src/mail-commands/rate-limiter.js";
import { validateConfig } from "../../src/config/validate-config.js";
import { composeReply } from "../../src/report/io/compose-reply.js";
import { commandMailRaw, signMail, testDkimKey, toMailMessage } from "./command-mail-fixture.js";

const lineage = "20261120101010.1-author@example.org";
const v2msg = "20261122-v2-author@example.org";
const v3msg = "20261124-v3-author@example.org";

function setup(over: Partial<CommandsConfig> = {}) {
  const v = validateConfig({
    reply: { from: "irqtriage <bot@irqtriage.example>" },
    commands: { allowlist: ["maint@example.org"], trees: [{ name: "linus", url: "/srv/git/linus.git" }], ...over },
  });
  if (!v.ok) throw new Error(v.problems.join("; "));
  const config = v.config;
  const ctx = memoryCommandContext();
  ctx.addThread({ lineage, version: 2, title: "irqdomain: dispose mappings on remove" }, [v2msg]);
  ctx.addThread({ lineage, version: 3, title: "irqdomain: dispose mappings on remove" }, [v3msg]);
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const log = pino({ level: "info" }, sink);
  const key = testDkimKey("example.org");
  const deps: CommandMailDeps = {
    config,
    ctx,
    log,
    maintainers: ["tglx@linutronix.de"],
    rateLimiter: new RateLimiter(memoryRateLimitStore(), config.commands.rateLimit),
    resolver: key.resolver,
    now: () => new Date("2026-11-25T12:00:00Z"),
  };
  return { config, ctx, deps, key, logLines };
}

/** The reply text with its 72-column wrapping undone, for matching sentences. */
const flat = (eml: string | undefined) => (eml ?? "").replace(/\r?\n(?!\r?\n)/g, " ").replace(/ +/g, " ");

async function mail(raw: string) {
  const buf = Buffer.from(raw);
  return { msg: await toMailMessage(buf), raw: buf };
}

describe("command mails (acceptance)", () => {
  it("a DKIM-signed retest from an allowlisted maintainer queues one retest and gets one answer in the thread", async () => {
    const { ctx, deps, key } = setup();
    const raw = await signMail(
      commandMailRaw({ from: "A Maintainer <maint@example.org>", msgid: "cmd-1@example.org", inReplyTo: v2msg, body: "Looks odd.\r\n\r\n#irqtriage retest\r\n" }),
      "example.org",
      key.privateKeyPem,
    );
    const out = await processCommandMail(await mail(raw), deps);
    expect(out.status).toBe("answered");
    expect(ctx.jobs).toEqual([{ jobId: "job-1", kind: "retest", lineage, version: 2 }]);
    expect(key.lookups).toContain("TXT test2026._domainkey.example.org");
    const r = out.reply;
    expect(r?.key).toBe(commandReplyKey("cmd-1@example.org"));
    expect(r?.inReplyTo).toBe("cmd-1@example.org");
    expect(r?.references).toEqual([v2msg, "cmd-1@example.org"]);
    expect(r?.to).toEqual(["maint@example.org"]);
    expect(r?.cc).toEqual(["linux-kernel@vger.kernel.org", "author@example.org"]);
    expect(r?.subject).toBe("Re: [PATCH v2 1/1] irqdomain: dispose mappings on remove");
    expect(flat(r?.eml)).toMatch(/Queued a retest of v2 of "irqdomain: dispose mappings on remove" \(job job-1\)/);
    expect(ctx.history.map((h) => `${h.verb}:${h.outcome}`)).toEqual(["retest:done"]);

    // The same mail again (a crash and re-read): no second job, same reply key (the outbox dedups).
    const again = await processCommandMail(await mail(raw), deps);
    expect(ctx.jobs).toHaveLength(1);
    expect(again.reply?.messageId).toBe(r?.messageId);
  });

  it("the same mail with a forged From: is refused without an answer, and logged", async () => {
    const { ctx, deps, key, logLines } = setup();
    const signed = await signMail(
      commandMailRaw({ from: "A Maintainer <maint@example.org>", msgid: "cmd-2@example.org", inReplyTo: v2msg, body: "#irqtriage retest\r\n" }),
      "example.org",
      key.privateKeyPem,
    );
    // The forger signs nothing of the maintainer's; they change From: on a mail signed for them.
    const forged = signed.replace("From: A Maintainer <maint@example.org>", "From: A Maintainer <maint@example.org.evil.example>");
    const out1 = await processCommandMail(await mail(forged), deps);
    // A signature of the forger's own domain that passes but does not align with From:.
    const evilKey = testDkimKey("evil.example");
    const own = await signMail(
      commandMailRaw({ from: "A Maintainer <maint@example.org>", msgid: "cmd-3@example.org", inReplyTo: v2msg, body: "#irqtriage retest\r\n" }),
      "evil.example",
      evilKey.privateKeyPem,
    );
    const out2 = await processCommandMail(await mail(own), { ...deps, resolver: evilKey.resolver });
    for (const out of [out1, out2]) {
      expect(out.status).toBe("refused-untrusted");
      expect(out.reply).toBeNull();
    }
    expect(out2.auth).toMatchObject({ ok: false, reason: "dkim-unaligned" });
    expect(ctx.jobs).toEqual([]);
    expect(ctx.history.map((h) => h.outcome)).toEqual(["refused", "refused"]);
    expect(logLines.filter((l) => l["msg"] === "command mail refused: From: not trusted")).toHaveLength(2);
  });

  it("a broken signature (body changed after signing) is refused", async () => {
    const { ctx, deps, key } = setup();
    const signed = await signMail(
      commandMailRaw({ from: "maint@example.org", msgid: "cmd-4@example.org", inReplyTo: v2msg, body: "#irqtriage status\r\n" }),
      "example.org",
      key.privateKeyPem,
    );
    const tampered = signed.replace("#irqtriage status", "#irqtriage retest");
    const out = await processCommandMail(await mail(tampered), deps);
    expect(out.status).toBe("refused-untrusted");
    expect(out.auth).toMatchObject({ ok: false, reason: "dkim-failed" });
    expect(out.reply).toBeNull();
    expect(ctx.jobs).toEqual([]);
  });

  it("an unsigned mail from a MAINTAINERS address is refused when DKIM is required", async () => {
    const { ctx, deps } = setup();
    const raw = commandMailRaw({ from: "Thomas Gleixner <tglx@linutronix.de>", msgid: "cmd-5@example.org", inReplyTo: v2msg, body: "#irqtriage retest\r\n" });
    const out = await processCommandMail(await mail(raw), deps);
    expect(out.auth).toMatchObject({ ok: false, reason: "dkim-missing" });
    expect(ctx.jobs).toEqual([]);
  });

  it("unknown tree names and shell metacharacters are refused and nothing runs", async () => {
    const { ctx, deps, key } = setup();
    const raw = await signMail(
      commandMailRaw({
        from: "maint@example.org",
        msgid: "cmd-6@example.org",
        inReplyTo: v2msg,
        body: "#irqtriage test unknowntree master\r\n#irqtriage test linus 'main;rm -rf /'\r\n#irqtriage test linus main;reboot\r\n",
      }),
      "example.org",
      key.privateKeyPem,
    );
    const out = await processCommandMail(await mail(raw), deps);
    expect(out.status).toBe("answered");
    expect(ctx.jobs).toEqual([]);
    expect(out.records.map((r) => r.outcome)).toEqual(["invalid", "invalid", "invalid"]);
    const eml = flat(out.reply?.eml);
    expect(eml).toMatch(/Did not understand: unknown tree name \(configured trees: linus\)\. Nothing was run\./);
    expect(eml.match(/Did not understand: refused branch or commit: only letters/g)).toHaveLength(2);
    expect(eml).not.toMatch(/Queued/);
  });

  it("a maintainer listed in MAINTAINERS (no DKIM required) may queue a test on a configured tree", async () => {
    const { ctx, deps } = setup({ requireDkim: false });
    const raw = commandMailRaw({ from: "tglx@linutronix.de", msgid: "cmd-7@example.org", inReplyTo: v2msg, body: "#irqtriage test linus irq/core\r\n" });
    const out = await processCommandMail(await mail(raw), deps);
    expect(out.auth).toMatchObject({ ok: true, via: "maintainers" });
    expect(ctx.jobs).toEqual([{ jobId: "job-1", kind: "test", lineage, version: 2, tree: { name: "linus", url: "/srv/git/linus.git" }, ref: "irq/core" }]);
  });

  it("a stranger with a trusted From: hears only 'not allowed'; too many commands and rate limits are answered", async () => {
    const { ctx, deps } = setup({ requireDkim: false, rateLimit: { perSender: { max: 2, windowSeconds: 3600 }, perThread: { max: 10, windowSeconds: 3600 } } });
    const stranger = await processCommandMail(
      await mail(commandMailRaw({ from: "x@elsewhere.example", msgid: "s1@x", inReplyTo: v2msg, body: "#irqtriage retest\r\n#irqtriage bogus\r\n" })),
      deps,
    );
    expect(stranger.status).toBe("refused-not-allowed");
    expect(flat(stranger.reply?.eml)).toMatch(/not allowed to give irqtriage commands/);
    expect(stranger.reply?.eml).not.toMatch(/Did not understand/);

    const many = Array.from({ length: 6 }, () => "#irqtriage status").join("\r\n");
    const capped = await processCommandMail(await mail(commandMailRaw({ from: "maint@example.org", msgid: "m1@x", inReplyTo: v2msg, body: many })), deps);
    expect(capped.records.map((r) => r.outcome)).toEqual(["failed", "failed", "failed", "failed", "failed", "too-many"]);
    expect(flat(capped.reply?.eml)).toMatch(/Too many commands in one mail \(at most 5\)/);

    await processCommandMail(await mail(commandMailRaw({ from: "maint@example.org", msgid: "m2@x", inReplyTo: v2msg, body: "#irqtriage help" })), deps);
    const limited = await processCommandMail(await mail(commandMailRaw({ from: "maint@example.org", msgid: "m3@x", inReplyTo: v2msg, body: "#irqtriage retest" })), deps);
    expect(limited.status).toBe("rate-limited");
    expect(flat(limited.reply?.eml)).toMatch(/Too many commands from you recently; nothing was done/);
    expect(ctx.jobs).toEqual([]);
  });

  it("reads the body itself when ingest kept a light message (text not parsed)", async () => {
    const { ctx, deps } = setup({ requireDkim: false });
    const m = await mail(commandMailRaw({ from: "maint@example.org", msgid: "light@x", inReplyTo: v2msg, body: "#irqtriage retest\r\n" }));
    const out = await processCommandMail({ msg: { ...m.msg, text: "" }, raw: m.raw }, deps);
    expect(out.status).toBe("answered");
    expect(ctx.jobs).toHaveLength(1);
  });

  it("ignores mail that is not a command mail and the bot's own mail", async () => {
    const { deps } = setup({ requireDkim: false });
    const plain = await processCommandMail(await mail(commandMailRaw({ from: "maint@example.org", msgid: "p1@x", body: "> #irqtriage retest\r\nNo.\r\n" })), deps);
    expect(plain.status).toBe("not-a-command");
    const bot = await processCommandMail(
      await mail(commandMailRaw({ from: "maint@example.org", msgid: "p2@x", body: "#irqtriage retest\r\n", extraHeaders: ["Auto-Submitted: auto-generated"] })),
      deps,
    );
    expect(bot.status).toBe("bot-mail");
  });

  it("an ignore given on v2 suppresses the same finding on v3, and the v3 reply says so", async () => {
    const { ctx, deps, key } = setup();
    const raw = await signMail(
      commandMailRaw({
        from: "A Maintainer <maint@example.org>",
        msgid: "cmd-9@example.org",
        inReplyTo: v2msg,
        body: "#irqtriage ignore never-disposes-4f2a the parent domain\r\ndisposes it\r\n",
      }),
      "example.org",
      key.privateKeyPem,
    );
    const out = await processCommandMail(await mail(raw), deps);
    expect(flat(out.reply?.eml)).toMatch(/Ignoring never-disposes-4f2a on this and later revisions/);

    // v3 arrives with the same finding plus a new one.
    const v3findings = [
      { id: "never-disposes-4f2a", title: "probe maps, remove never disposes" },
      { id: "error-path-only-77", title: "dispose only on the error path" },
    ];
    const { kept, lines } = applyIgnores(v3findings, await ctx.listIgnores(lineage));
    expect(kept.map((f) => f.id)).toEqual(["error-path-only-77"]);
    const reply = composeReply({
      key: `${lineage}#v3`,
      target: { msgid: v3msg, subject: "[PATCH v3 1/1] irqdomain: dispose mappings on remove", from: { name: "Author", address: "author@example.org" }, to: [], cc: [], references: [], date: null, text: "" },
      intro: "irqtriage triaged v3.",
      sections: [
        { stage: "balance", title: "Findings", severity: "problem", body: kept.map((f) => `${f.id}: ${f.title}`).join("\n") },
        renderSuppressedSection(lines) ?? { stage: "none", title: "missing", severity: "info", body: "" },
      ],
      from: "irqtriage <bot@irqtriage.example>",
      now: new Date("2026-11-25T13:00:00Z"),
    });
    const body = reply.reply!.eml.replace(/\r\n/g, "\n");
    expect(body).toMatch(/error-path-only-77: dispose only on the error path/);
    expect(body.replace(/\n\s*/g, " ")).toContain("suppressed: never-disposes-4f2a (ignored by maint@example.org on v2: the parent domain disposes it)");
    expect(body).toMatch(/^Suppressed by maintainers$/m);
    expect(body).not.toMatch(/^never-disposes-4f2a:/m);
    expect(renderSuppressedSection([])).toBeNull();
  });
});
