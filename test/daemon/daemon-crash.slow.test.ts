import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { Dovecot } from "../support/dovecot.js";
import { SmtpSink } from "../support/smtp-server.js";
import { chatterMail, onePatchMail, repoRoot, tempDir, waitFor } from "./daemon-harness.js";

/**
 * Fault test with the real CLI (`node bin/irqtriage.js daemon`, built into dist/ by the global
 * setup): kill -9 the daemon at random points, 20 times, while 200 messages are delivered; also
 * restart Dovecot and the SMTP server mid-run. The list echoes every reply it receives back
 * into the mailbox (as a real list does), which is how the daemon resolves replies that were
 * in flight when it died. Afterwards: every message stored, every patch answered exactly once
 * (or, if the kill hit between "sending" and SMTP, abandoned and NOT sent: at-most-once),
 * nothing stuck in the queue.
 */
const MAILBOX = "lkml";
const PATCHES = 100;
const KILLS = 20;

let dovecot: Dovecot;
let smtp: SmtpSink;
let state: ReturnType<typeof tempDir>;
let child: ChildProcess | null = null;
let logStream: ReturnType<typeof createWriteStream>;

let starts = 0;

function spawnDaemon(configFile: string): ChildProcess {
  const c = spawn(
    process.execPath,
    [path.join(repoRoot, "bin/irqtriage.js"), "daemon", "--config", configFile, "--imap", dovecot.url(MAILBOX), "--smtp", smtp.url(), "--from", "irqtriage <bot@irqtriage.test>", "--state", path.join(state.dir, "state")],
    { cwd: state.dir, env: { ...process.env, IRQTRIAGE_IMAP_PASSWORD: dovecot.password, IRQTRIAGE_LOG: "info" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  c.stdout?.pipe(logStream, { end: false });
  c.stderr?.pipe(logStream, { end: false });
  let seen = "";
  c.stderr?.on("data", (b: Buffer) => {
    if (seen === "started") return;
    const text = seen + b.toString();
    if (text.includes("daemon started")) {
      seen = "started";
      starts++;
    } else {
      seen = text.slice(-64);
    }
  });
  return c;
}

async function kill9(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once("exit", () => r()));
  c.kill("SIGKILL");
  await exited;
}

beforeAll(async () => {
  state = tempDir("irqtriage-crash-");
  logStream = createWriteStream(path.join(state.dir, "daemon.log"));
  [dovecot, smtp] = await Promise.all([Dovecot.start(), SmtpSink.start()]);
  await dovecot.createMailbox(MAILBOX);
});

afterAll(async () => {
  if (child) await kill9(child);
  await Promise.all([dovecot?.close(), smtp?.close()]);
  logStream?.end();
  if (process.env["IRQTRIAGE_KEEP_TEST_DIR"]) console.log(`kept ${state.dir}`);
  else state?.remove();
});

describe("daemon crash safety (real CLI, kill -9)", () => {
  it("loses no message, sends no reply twice, leaves no job stuck", async () => {
    const configFile = path.join(state.dir, "irqtriage.yaml");
    writeFileSync(
      configFile,
      [
        "imap:",
        "  pollIntervalMs: 1000",
        "  reconnectMinMs: 100",
        "  reconnectMaxMs: 1000",
        "daemon:",
        "  settleMs: 100",
        "  leaseMs: 5000",
        "  backoffMs: 200",
        "  http:",
        "    port: null",
        "  outbox:",
        "    sendIntervalMs: 100",
        "    retryMs: 100",
        "    inDoubtGraceMs: 4000",
        "",
      ].join("\n"),
    );
    const patches = Array.from({ length: PATCHES }, (_, i) => onePatchMail(i, { stamp: "crash", author: `crash${i}@example.org` }));
    const chatter = Array.from({ length: PATCHES }, (_, i) => chatterMail(i, `crash-${i}@example.org`, "crashchat"));
    const mails = patches.flatMap((p, i) => [p, chatter[i] as string]);

    child = spawnDaemon(configFile);
    let delivering = true;
    let relayed = 0;
    const echoed = new Set<string>();
    // The list: deliver 200 mails in small bursts ...
    const delivery = (async () => {
      for (let i = 0; i < mails.length; i += 5) {
        // Dovecot may be restarting under us: retry the burst (Message-ID dedup makes a
        // partly delivered burst harmless).
        await waitFor("burst delivered", () => dovecot.append(mails.slice(i, i + 5), MAILBOX).then(() => true, () => false), 60_000, 200);
        await new Promise((r) => setTimeout(r, 120));
      }
      delivering = false;
    })();
    // ... and echo every reply the SMTP server accepted back into the mailbox.
    let relaying = true;
    const relay = (async () => {
      while (relaying) {
        for (const m of smtp.messages()) {
          if (echoed.has(m.file) || !dovecot.running) continue;
          const raw = m.raw.replace(/^X-Sink-Envelope-[^\n]*\n/gm, "");
          await dovecot.append([raw], MAILBOX).then(
            () => {
              echoed.add(m.file);
              relayed++;
            },
            () => undefined,
          );
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    for (let k = 0; k < KILLS; k++) {
      // A random point while it works (startup alone takes ~1-2 s on a busy machine).
      const started = starts;
      await waitFor("daemon started", () => starts > started || child?.exitCode !== null, 30_000, 20);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1_500)));
      await kill9(child);
      if (k === 7) await dovecot.restart();
      if (k === 13) await smtp.restart();
      child = spawnDaemon(configFile);
    }
    await delivery;
    expect(delivering).toBe(false);

    // Let the last incarnation catch up: all patches answered (or abandoned), queue empty.
    const store = SqliteStore.open(path.join(state.dir, "state"));
    try {
      await waitFor(
        "catch-up",
        async () => {
          const q = await store.queueCounts();
          const entries = await store.outbox();
          const open = entries.filter((e) => e.state === "pending" || e.state === "sending");
          return (await store.messageCount()) >= mails.length && q.queued === 0 && q.running === 0 && entries.length === PATCHES && open.length === 0;
        },
        90_000,
        250,
      );
      // Echoes of the last replies come back too; give them a moment.
      await new Promise((r) => setTimeout(r, 2_000));
      relaying = false;
      await relay;

      const sink = smtp.messages();
      const ids = sink.map((m) => m.headers["message-id"]);
      expect(new Set(ids).size).toBe(ids.length); // no reply twice
      const entries = await store.outbox();
      const abandoned = entries.filter((e) => e.state === "abandoned");
      const sentIds = new Set(ids);
      for (const a of abandoned) expect(sentIds.has(`<${a.messageId}>`)).toBe(false);
      expect(sink.length + abandoned.length).toBe(PATCHES);
      // each patch got its reply, threaded to it
      const answered = new Set(sink.map((m) => m.headers["in-reply-to"]));
      const abandonedTargets = new Set(abandoned.map((e) => `<${e.inReplyTo}>`));
      for (let i = 0; i < PATCHES; i++) {
        const id = `<crash-${i}@example.org>`;
        expect(answered.has(id) || abandonedTargets.has(id), `reply to ${id}`).toBe(true);
      }
      // every delivered message is stored, the checkpoint covers the mailbox, nothing is stuck
      for (let i = 0; i < PATCHES; i++) {
        expect(await store.hasMessage(`crash-${i}@example.org`)).toBe(true);
        expect(await store.hasMessage(`crashchat-${i}@example.org`)).toBe(true);
      }
      const q = await store.queueCounts();
      expect(q.running + q.queued + q.dead + q.failed).toBe(0);
      expect(starts).toBeGreaterThanOrEqual(KILLS);
      console.log(`crash test: ${KILLS} kills, ${sink.length} replies sent, ${abandoned.length} abandoned in doubt, ${relayed} echoed, ${await store.messageCount()} messages`);
    } finally {
      await store.close();
    }

    // Graceful stop: SIGTERM → exit code 0.
    const c = child;
    const code = await new Promise<number | null>((resolve) => {
      c.once("exit", (cd) => resolve(cd));
      c.kill("SIGTERM");
    });
    expect(code).toBe(0);
    child = null;
  }, 300_000);
});
