import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, type DaemonHandle } from "../../src/daemon/daemon.js";
import { smtpSender } from "../../src/daemon/outbox-sender.js";
import { buildPipeline, type TriagePipeline } from "../../src/pipeline/build-pipeline.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { Dovecot } from "../support/dovecot.js";
import { SmtpSink } from "../support/smtp-server.js";
import { corpusDir, corpusPresent, emlFiles, parseFiles, seriesDir, tempDir, testConfig, testLogger, waitFor } from "./daemon-harness.js";

/**
 * Acceptance: the daemon follows a real Dovecot mailbox and replies through a real SMTP server
 * process. The expected replies are not written down here: they are what the same pipeline
 * says for the same mails read in one batch (`irqtriage run` semantics); the daemon, reading
 * them one by one over IMAP, must send exactly those, once each, correctly threaded.
 */
const MAILBOX = "lkml";
let dovecot: Dovecot;
let smtp: SmtpSink;
let state: ReturnType<typeof tempDir>;
let store: SqliteStore;
let daemon: DaemonHandle;
let pipeline: TriagePipeline;
const log = testLogger();

function config() {
  return testConfig({
    stateDir: state.dir,
    imap: { host: dovecot.host, port: dovecot.port, secure: false, user: dovecot.user, mailboxes: [MAILBOX], pollIntervalMs: 1_000, reconnectMinMs: 100, reconnectMaxMs: 1_000 },
    smtp: { host: smtp.host, port: smtp.port },
    reply: { from: "irqtriage <bot@irqtriage.test>" },
    daemon: { shutdownGraceMs: 3_000, settleMs: 200, incompleteGraceMs: 3_000, http: { port: 0 }, outbox: { sendIntervalMs: 200, retryMs: 200 } },
  });
}

async function start(): Promise<void> {
  const cfg = config();
  daemon = await startDaemon({
    config: cfg,
    store,
    log,
    pipeline,
    imap: { host: dovecot.host, port: dovecot.port, secure: false, user: dovecot.user, password: dovecot.password, allowSelfSigned: false },
    sender: smtpSender(cfg.smtp, undefined),
  });
}

beforeAll(async () => {
  state = tempDir("irqtriage-daemon-");
  [dovecot, smtp] = await Promise.all([Dovecot.start(), SmtpSink.start()]);
  await dovecot.createMailbox(MAILBOX);
  store = SqliteStore.open(state.dir);
  pipeline = (await buildPipeline({ config: config(), log, daemon: true })).run;
  await start();
});

afterAll(async () => {
  const t = Date.now();
  await daemon?.stop();
  if (Date.now() - t > 5_000) console.warn(`daemon.stop() took ${Date.now() - t} ms`);
  await store?.close();
  await Promise.all([dovecot?.close(), smtp?.close()]);
  state?.remove();
}, 60_000);

const files = [...(corpusPresent ? emlFiles(corpusDir) : []), ...emlFiles(seriesDir)];

it("reports when the corpus is absent", () => {
  if (!corpusPresent) console.warn(`skipped the corpus part: ${corpusDir} absent`);
  expect(files.length).toBeGreaterThan(0);
});

describe("daemon over IMAP and SMTP", () => {
  it("answers each relevant revision exactly once, threaded, as the batch pipeline would (live: also revisions superseded only later)", async () => {
    const expected = await pipeline(await parseFiles(files), { config: config(), log });
    expect(expected.replies.length).toBeGreaterThan(2);
    if (process.env["IRQTRIAGE_TEST_LOG"]) console.log(expected.replies.map((r) => r.key));

    // Deliver while the daemon runs, in a few bursts like a list would.
    for (let i = 0; i < files.length; i += 7) {
      await dovecot.append(files.slice(i, i + 7).map((f) => readFileSync(f)), MAILBOX);
      await new Promise((r) => setTimeout(r, 150));
    }

    await waitFor("all replies", () => (smtp.messages().length >= expected.replies.length ? true : null), 45_000);
    // Then until quiet (a live daemon may also answer a revision that a later one supersedes).
    let last = -1;
    await waitFor("quiet", async () => {
      const n = smtp.messages().length;
      if (n === last) return true;
      last = n;
      await new Promise((r) => setTimeout(r, 1_500));
      return null;
    }, 30_000);
    const all = smtp.messages();

    const byId = new Map(all.map((m) => [m.headers["message-id"], m]));
    expect(byId.size).toBe(all.length); // no Message-ID twice
    for (const want of expected.replies) {
      const got = byId.get(`<${want.messageId}>`);
      expect(got, `reply ${want.key}`).toBeDefined();
      expect(got?.headers["in-reply-to"]).toBe(`<${want.inReplyTo}>`);
      expect(got?.headers["references"]?.split(/\s+/).at(-1)).toBe(`<${want.inReplyTo}>`);
      expect(got?.headers["subject"]).toBe(want.subject);
      expect(got?.envelopeTo).toEqual(expect.arrayContaining(want.to));
    }
    // Live, a revision is answered when it arrives: a v1 answered before its v2 came is right.
    // The batch run (which sees v2) keeps quiet on it; nothing else may differ.
    const lateQuiet = new Set(expected.revisions.filter((r) => r.result.status === "superseded" || r.result.status === "withdrawn").map((r) => r.key));
    const wanted = new Set(expected.replies.map((r) => `<${r.messageId}>`));
    const extra = all.filter((m) => !wanted.has(m.headers["message-id"] ?? ""));
    for (const m of extra) expect(lateQuiet.has(m.headers["x-irqtriage-key"] ?? ""), `extra reply ${m.headers["x-irqtriage-key"]}`).toBe(true);
    const entries = await store.outbox();
    expect(entries.every((e) => e.state === "sent")).toBe(true);
    expect(await store.messageCount()).toBe(new Set((await parseFiles(files)).map((m) => m.msgid)).size);
  }, 60_000);

  it("ignores its own replies coming back from the list and other bots' mail", async () => {
    const before = smtp.messages();
    // The list echoes our replies (as a real list does) plus a bot report quoting a patch.
    await dovecot.append(before.map((m) => m.raw.replace(/^X-Sink-Envelope-[^\n]*\n/gm, "")), MAILBOX);
    const bot = readFileSync(path.join(seriesDir, "d-attachment.eml"), "utf8")
      .replace(/^Message-ID:.*$/im, "Message-ID: <robot-1@example.org>")
      .replace(/^From:.*$/im, "From: kernel test robot <lkp@intel.com>\r\nAuto-Submitted: auto-generated");
    await dovecot.append([bot], MAILBOX);
    await waitFor("echoes stored", async () => (await store.ignoredMessages(1000)).length >= before.length + 1, 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(smtp.messages().length).toBe(before.length);
    const ignored = await store.ignoredMessages(1000);
    expect(ignored.find((m) => m.msgid === "robot-1@example.org")?.ignored).toMatch(/auto-submitted/i);
    const h = await daemon.health();
    expect(h.ok).toBe(true);
  }, 40_000);

  it("serves health and Prometheus metrics on loopback", async () => {
    const base = `http://127.0.0.1:${daemon.httpPort}`;
    const health = (await (await fetch(`${base}/healthz`)).json()) as { ok: boolean; imap: { connected: boolean }[] };
    expect(health.ok).toBe(true);
    expect(health.imap[0]?.connected).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/irqtriage_messages_seen_total\{outcome="queued"\} [1-9]/);
    expect(metrics).toMatch(/irqtriage_replies_sent_total [1-9]/);
    expect(metrics).toContain("irqtriage_last_imap_activity_seconds");
    expect(metrics).toContain("irqtriage_queue_depth");
  });

  it("a UIDVALIDITY change (mailbox rebuilt and refilled) causes no second reply", async () => {
    const before = smtp.messages().length;
    const { before: v1, after: v2 } = await dovecot.recreateMailbox(MAILBOX);
    expect(v2).not.toBe(v1);
    await dovecot.append(files.map((f) => readFileSync(f)), MAILBOX);
    const key = (await store.checkpoints()).find((c) => c.mailbox.endsWith(`/${MAILBOX}`));
    await waitFor("re-read after UIDVALIDITY change", async () => {
      const cp = (await store.checkpoints()).find((c) => c.mailbox === key?.mailbox);
      return cp?.uidValidity === v2 && cp.lastUid >= files.length;
    }, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(smtp.messages().length).toBe(before);
  }, 60_000);

  it("survives a Dovecot restart and an SMTP restart and catches up", async () => {
    const before = smtp.messages().length;
    await dovecot.stop();
    await smtp.stop();
    await new Promise((r) => setTimeout(r, 500));
    await dovecot.start();
    const { onePatchMail } = await import("./daemon-harness.js");
    await dovecot.append([onePatchMail(1, { stamp: "restart" }), onePatchMail(2, { stamp: "restart" })], MAILBOX);
    // SMTP is down: the replies wait in the outbox as pending
    await waitFor("replies queued while SMTP is down", async () => (await store.outbox()).filter((e) => e.state !== "sent").length === 2, 20_000);
    await smtp.start();
    await waitFor("replies delivered after SMTP restart", () => smtp.messages().length === before + 2, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(smtp.messages().length).toBe(before + 2);
  }, 60_000);
});
