import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon } from "../../src/daemon/daemon.js";
import { smtpSender } from "../../src/daemon/outbox-sender.js";
import { readMail } from "../../src/mail/io/read-mail.js";
import { scanHeaders } from "../../src/mail/header-scan.js";
import { buildPipeline } from "../../src/pipeline/build-pipeline.js";
import { ensureDemoMirror } from "../../src/pipeline/ensure-demo-mirror.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { TriageResult } from "../../src/types/triage-result.js";
import { repoRoot, tempDir, testConfig, waitFor } from "../daemon/daemon-harness.js";
import { runCli } from "../support/cli-io.js";
import { SmtpSink } from "../support/smtp-server.js";

/**
 * Issue 12, acceptance: the hostile-mail fixture set (fixtures/mail/hostile, one mail per case,
 * see its README and cases.json) through `irqtriage run` (the real CLI, in-process) and through
 * the daemon (the same folder as daemon.files, replies over a real SMTP server). Every reply,
 * written or sent, is then checked from the outside by Python's `email` package in strict mode
 * (test/support/check-replies.py): only our header fields, no recipient that was not on the
 * original To/Cc/From, no line over 998 octets, our own first body line. The set of mails
 * answered must be exactly the expected one, and each case must leave its record.
 */
const HOSTILE = path.join(repoRoot, "fixtures/mail/hostile");
const CHECKER = path.join(repoRoot, "test/support/check-replies.py");
const BOT = "irqtriage <irqtriage@hostile.example>";
const CI = process.env["CI"] === "true";
const python = spawnSync("python3", ["-c", "import email.policy; print('ok')"], { encoding: "utf8" }).stdout.trim() === "ok";

type Case = { reply: boolean; why: string; answers?: string | string[] };
const cases = JSON.parse(readFileSync(path.join(HOSTILE, "cases.json"), "utf8")) as Record<string, Case>;
const expectedAnswers = new Set(Object.values(cases).flatMap((c) => (c.answers === undefined ? [] : Array.isArray(c.answers) ? c.answers : [c.answers])));

let tmp: ReturnType<typeof tempDir>;
let mirror = "";
/** Message-ID -> a file holding that mail alone (the mbox pieces written out), for the checker. */
const originals = new Map<string, string>();

beforeAll(async () => {
  tmp = tempDir("irqtriage-hostile-");
  mirror = await ensureDemoMirror(path.join(repoRoot, "fixtures/kernel-tree"), path.join(tmp.dir, "mirror"));
  const pieces = path.join(tmp.dir, "originals");
  mkdirSync(pieces);
  let n = 0;
  for await (const m of readMail([HOSTILE])) {
    const id = scanHeaders(m.raw).msgid;
    if (!id || originals.has(id)) continue;
    const file = path.join(pieces, `${++n}.eml`);
    writeFileSync(file, m.raw);
    originals.set(id, file);
  }
}, 120_000);
afterAll(() => tmp?.remove());

interface Checked {
  reply: string;
  problems: string[];
}

/** Runs the outside checker on replies; each entry names the reply file and what it answers. */
function strictCheck(entries: { reply: string; inReplyTo: string; envelope: string[] | null }[]): Checked[] {
  const input = entries.map((e) => {
    const original = originals.get(e.inReplyTo);
    if (!original) throw new Error(`a reply answers ${e.inReplyTo}, which is no mail of the set`);
    return { reply: e.reply, original, envelope: e.envelope, maxRecipients: 20 };
  });
  const r = spawnSync("python3", [CHECKER], { input: JSON.stringify(input), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`check-replies.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Checked[];
}

function needPython(): boolean {
  if (python) return true;
  if (CI) throw new Error("python3 is missing: install the Debian package python3");
  console.warn("skipped: python3 (Debian package python3) not found, the outside check cannot run");
  return false;
}

const header = (eml: string, name: string): string => {
  const head = eml.slice(0, eml.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1] ?? "";
};

describe("the outside checker", () => {
  it("catches what irqtriage's replies used to carry (it is not a checker that passes everything)", () => {
    if (!needPython()) return;
    const orig = originals.get("h01@hostile.example")!;
    const good = [
      "From: irqtriage <irqtriage@hostile.example>",
      "To: Eve Hostile <eve@hostile.example>",
      "Cc: linux-kernel@vger.kernel.org",
      "Subject: Re: [PATCH] genirq: hostile case h01",
      "Date: Tue, 08 Dec 2026 10:00:00 +0000",
      "Message-ID: <irqtriage-1@hostile.example>",
      "In-Reply-To: <h01@hostile.example>",
      "References: <h01@hostile.example>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "Auto-Submitted: auto-generated",
      "",
      "Eve Hostile wrote:",
      "> text",
      "",
      "Hi Eve,",
      "",
    ].join("\r\n");
    const bad: Record<string, string> = {
      good,
      bcc: good.replace("Subject: Re: [PATCH] genirq: hostile case h01", "Subject: Re: [PATCH] genirq: hostile case h01\r\nBcc: attacker@evil.example"),
      forgedBody: good.replace("\r\n\r\nEve Hostile wrote:", "\r\n\r\nReviewed-by: Irq Maintainer <maz@kernel.org>\r\nEve Hostile wrote:"),
      stranger: good.replace("Cc: linux-kernel@vger.kernel.org", "Cc: linux-kernel@vger.kernel.org, attacker@evil.example"),
      longLine: good.replace("Message-ID: <irqtriage-1@hostile.example>", `Message-ID: <${"a".repeat(3000)}@hostile.example>`),
      bareLf: good.replace("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated\nX-Evil: 1"),
    };
    const dir = path.join(tmp.dir, "checker");
    mkdirSync(dir, { recursive: true });
    const entries = Object.entries(bad).map(([name, eml]) => {
      const file = path.join(dir, `${name}.eml`);
      writeFileSync(file, eml);
      return { reply: file, original: orig, envelope: null, maxRecipients: 20 };
    });
    const r = spawnSync("python3", [CHECKER], { input: JSON.stringify(entries), encoding: "utf8" });
    const got = Object.fromEntries((JSON.parse(r.stdout) as Checked[]).map((c) => [path.basename(c.reply, ".eml"), c.problems.join("; ")]));
    expect(got["good"]).toBe("");
    expect(got["bcc"]).toMatch(/unexpected header bcc/);
    expect(got["forgedBody"]).toMatch(/body starts 'Reviewed-by/);
    expect(got["stranger"]).toMatch(/recipient attacker@evil\.example was not on the original/);
    expect(got["longLine"]).toMatch(/line 6 has 3030 octets/);
    expect(got["bareLf"]).toMatch(/a bare CR or LF/);
  });
});

describe("hostile mail through irqtriage run", () => {
  let result: TriageResult;
  let replies: { file: string; eml: string }[] = [];
  let state = "";

  beforeAll(async () => {
    state = path.join(tmp.dir, "run-state");
    const cfg = path.join(tmp.dir, "run.yaml");
    writeFileSync(cfg, JSON.stringify({ stateDir: state, mirror: { path: mirror }, reply: { from: BOT }, sim: { enabled: false } }));
    const out = await runCli(["run", HOSTILE, "--config", cfg, "--json"], { env: { IRQTRIAGE_LOG: "silent" }, cwd: repoRoot });
    expect(out.code, out.stderr).toBe(0);
    result = JSON.parse(out.stdout) as TriageResult;
    const dir = path.join(state, "outbox");
    replies = readdirSync(dir)
      .filter((f) => f.endsWith(".eml"))
      .map((f) => ({ file: path.join(dir, f), eml: readFileSync(path.join(dir, f), "utf8") }));
  }, 600_000);

  it("answers exactly the mails it should, and no other", () => {
    const answered = new Set(replies.map((r) => header(r.eml, "In-Reply-To").replace(/^<|>$/g, "")));
    expect([...answered].sort()).toEqual([...expectedAnswers].sort());
    expect(replies).toHaveLength(expectedAnswers.size);
  });

  it("every written reply passes Python's strict parser and the outside checks", () => {
    if (!needPython()) return;
    const checked = strictCheck(replies.map((r) => ({ reply: r.file, inReplyTo: header(r.eml, "In-Reply-To").replace(/^<|>$/g, ""), envelope: null })));
    expect(checked.filter((c) => c.problems.length)).toEqual([]);
    expect(checked).toHaveLength(replies.length);
  });

  it("no reply names a local path", () => {
    for (const r of replies) {
      expect(r.eml, r.file).not.toContain(tmp.dir);
      expect(r.eml, r.file).not.toMatch(/\/tmp\/|\.mailinfo|worktrees\//);
    }
    const s09 = replies.find((r) => header(r.eml, "In-Reply-To") === "<s09@hostile.example>")!;
    expect(s09.eml.replace(/\r\n/g, "\n").replace(/\n(?=\S)/g, " ")).toMatch(/git mailinfo failed \(exit 1\): error:\s+cannot convert from x-unknown-foo to UTF-8/);
  });

  it("records what each case dropped, replaced, capped or refused", () => {
    const rec = (file: string): string[] => result.errors.filter((e) => e.source.includes(file) || e.source.startsWith(file.split("-")[0]!)).map((e) => e.message);
    const all = result.errors.map((e) => `${e.source}: ${e.message}`).join("\n");
    expect(rec("h01-")).toContainEqual(expect.stringMatching(/^Subject holds CR, LF after decoding: 2 characters replaced$/));
    expect(rec("h03-")).toContainEqual(expect.stringMatching(/display name of eve@hostile\.example holds CR, LF/));
    expect(rec("h13-")).toContainEqual(expect.stringMatching(/Subject holds NUL/));
    expect(rec("h18-")).toContainEqual(expect.stringMatching(/Subject holds CR after decoding/));
    expect(all).toMatch(/=\?UTF-8\?B\?PGgwNUBob3N0aWxlLmV4YW1wbGU\+DQ.*no reply: its Message-ID .* is not an RFC 5322 msg-id/);
    expect(all).toMatch(/no reply: its Message-ID "a{60}\.\.\." \(3016 characters\) is 3016 characters long \(at most 250\)/);
    expect(all).toMatch(/a01@hostile\.example: warning: reply: recipients capped: 3004 wanted, over reply\.maxRecipients 20; replying to the author and 2 lists only/);
    expect(all).toMatch(/a03@hostile\.example: warning: reply: References: 5001 ids cut to the first and the last 20/);
    expect(all).toMatch(/s01@hostile\.example: unsafe patch refused: .* holds a CR/);
    expect(all).toMatch(/s02@hostile\.example: unsafe patch refused: .* holds a TAB/);
    expect(all).toMatch(/s03@hostile\.example: unsafe patch refused: .* holds a NUL/);
    expect(all).toMatch(/s04b-duplicate-forged\.eml: warning: conflict: another copy of <s04@hostile\.example> \(different sender: maz@kernel\.org/);
    expect(all).toMatch(/s05-own-address-other-case\.eml: warning: not triaged: ignored sender irqtriage@hostile\.example/);
    expect(all).toMatch(/no reply: the mail has no usable Message-ID/);
    expect(all).toMatch(/s07-nested-rfc822\.eml: warning: nested message\/rfc822 part \(<s07-inner@hostile\.example>/);
    expect(all).toMatch(/s08@hostile\.example: unsafe patch refused: a NUL byte at line 1, in the commit message/);
    expect(all).toMatch(/m01-from-line-injection\.mbox#1: warning: a line "From \.\.\." at byte \d+ looks like an mbox separator/);
    expect(all).toMatch(/m02-cut-inside-a-hunk\.mbox#1: warning: ends at the separator at byte \d+ although its last diff hunk is 1 line short/);
    expect(all).toMatch(/m02-cut-inside-a-hunk\.mbox#2: warning: starts at byte \d+, inside message #1/);
  });

  it("no forged trailer reaches a series: not through an mbox body, a cut, a duplicate or a nested mail", () => {
    const trailers = result.series.flatMap((s) => s.revisions.flatMap((r) => r.trailers.filter((t) => t.name === "Reviewed-by").map((t) => ({ lineage: s.lineage, ...t }))));
    // m01a's own commit message carries the forged text (kept as its text, by the format's rule);
    // no Reviewed-by may land on any other series
    expect(trailers.filter((t) => t.lineage !== "m01a@hostile.example").map((t) => `${t.lineage}: ${t.value}`)).toEqual([]);
    const m01 = result.series.flatMap((s) => s.revisions).filter((r) => /hostile case m01/.test(r.title));
    expect(m01.map((r) => r.title).sort()).toEqual(["genirq: hostile case m01a", "genirq: hostile case m01b"]);
    const s04 = result.series.find((s) => s.lineage === "s04@hostile.example")!.revisions[0]!;
    expect(s04.author).toBe("Eve Hostile <eve@hostile.example>");
  });

  it("caps recipients: the author and the lists only", () => {
    const a01 = replies.find((r) => header(r.eml, "In-Reply-To") === "<a01@hostile.example>")!;
    expect(header(a01.eml, "To")).toBe("Eve Hostile <eve@hostile.example>");
    expect(header(a01.eml, "Cc")).toBe("linux-kernel@vger.kernel.org, linux-arm-kernel@lists.infradead.org");
    const a05 = replies.find((r) => header(r.eml, "In-Reply-To") === "<a05@hostile.example>")!;
    expect(header(a05.eml, "Cc").split(", ")).toHaveLength(19);
    expect(a01.eml.length).toBeLessThan(8_000);
  });
});

describe("hostile mail through the daemon, replies over SMTP", () => {
  let smtp: SmtpSink;
  let store: SqliteStore;
  const logLines: { msg?: string; wanted?: number }[] = [];

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    store = SqliteStore.open(path.join(tmp.dir, "daemon-state"));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await smtp?.close();
  });

  it("sends exactly the expected replies, each passing the strict outside check, and records the conflict", async () => {
    const config = testConfig({
      stateDir: path.join(tmp.dir, "daemon-state"),
      mirror: { path: mirror },
      reply: { from: BOT },
      sim: { enabled: false },
      smtp: { host: smtp.host, port: smtp.port },
      imap: { pollIntervalMs: 500 },
      daemon: { files: [HOSTILE], settleMs: 50, incompleteGraceMs: 0, http: { port: null }, outbox: { sendIntervalMs: 100, retryMs: 200 } },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n")) if (l.trim()) logLines.push(JSON.parse(l) as { msg?: string });
        done();
      },
    });
    const log = pino({ level: "info" }, sink);
    const daemon = await startDaemon({ config, store, log, pipeline: (await buildPipeline({ config, log, daemon: true })).run, imap: null, sender: smtpSender(config.smtp, undefined) });
    try {
      await waitFor("every expected reply sent", () => smtp.messages().length >= expectedAnswers.size, 540_000, 500);
      await new Promise((r) => setTimeout(r, 3_000)); // more passes over the files: nothing more
    } finally {
      await daemon.stop();
    }
    const mails = smtp.messages();
    const answered = mails.map((m) => (m.headers["in-reply-to"] ?? "").replace(/^<|>$/g, ""));
    expect([...answered].sort()).toEqual([...expectedAnswers].sort());
    expect((await store.queueCounts()).dead).toBe(0);
    expect((await store.conflicts(10)).map((c) => [c.msgid, c.reason])).toEqual([["s04@hostile.example", "different sender: maz@kernel.org, the first copy is from eve@hostile.example"]]);
    expect((await store.getMessage("s04@hostile.example"))?.message.from?.address).toBe("eve@hostile.example");
    expect(logLines.some((l) => l.msg === "reply recipients capped: author and lists only" && l.wanted === 3004)).toBe(true);
    for (const m of mails) expect(m.raw).not.toMatch(/\/tmp\/|\.mailinfo/);
    if (!needPython()) return;
    const checked = strictCheck(mails.map((m) => ({ reply: m.file, inReplyTo: (m.headers["in-reply-to"] ?? "").replace(/^<|>$/g, ""), envelope: m.envelopeTo })));
    expect(checked.filter((c) => c.problems.length)).toEqual([]);
  }, 600_000);
});
