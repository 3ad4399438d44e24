import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { applyDaemonOverrides } from "../../src/cli/commands/daemon.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { mail, reply, revision } from "../store/mail-fixture.js";
import { tempDir, testConfig } from "./daemon-harness.js";
import { captureIO, type CapturedIO } from "../support/cli-io.js";

const io = (env: NodeJS.ProcessEnv = {}): CapturedIO => captureIO({ env });

let tmp: ReturnType<typeof tempDir>;

beforeEach(async () => {
  tmp = tempDir("irqtriage-cli-");
  const store = SqliteStore.open(tmp.dir);
  const now = Date.now();
  await store.ingestMessage({ message: mail("p@x"), mailbox: "imap://u@h:1/lkml", uid: 4, ignored: null, checkpoint: { mailbox: "imap://u@h:1/lkml", uidValidity: 9, lastUid: 4 }, settleMs: 0, maxDelayMs: 0, now });
  await store.ingestMessage({ message: mail("bad@x"), mailbox: "m", uid: null, ignored: "unparseable: no header fields", checkpoint: null, settleMs: 0, maxDelayMs: 0, now });
  await store.recordTriage({ root: "p@x", results: [{ lineage: "p@x", revision: revision(2, ["p@x"]) }], replies: [reply("p@x#v2", "p@x")], retest: null, now });
  const job = await store.claimJob("w", ["triage"], {}, 60_000, now);
  await store.failJob(job!.id, "w", "git exploded", now, { retryable: false, backoffMs: 1, maxAttempts: 1 });
  await store.close();
});
afterEach(() => tmp.remove());

describe("irqtriage status / replay", () => {
  it("status --json shows queue, dead letters, series, outbox, checkpoints and ignored mail", async () => {
    const t = io();
    expect(await main(["status", "--state", tmp.dir, "--json"], t)).toBe(0);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document checked field by field
    const r = JSON.parse(t.out()) as Record<string, any>;
    expect(r["messages"]).toBe(2);
    expect(r["checkpoints"]).toEqual([{ mailbox: "imap://u@h:1/lkml", uidValidity: 9, lastUid: 4 }]);
    expect(r["queue"].counts.dead).toBe(1);
    expect(r["queue"].dead[0]).toMatchObject({ kind: "triage", key: "p@x", error: "git exploded" });
    expect(r["series"][0]).toMatchObject({ lineage: "p@x", version: 2, relevant: true });
    expect(r["outbox"].counts.pending).toBe(1);
    expect(r["ignored"][0]).toMatchObject({ msgid: "bad@x" });
    const text = io();
    expect(await main(["status", "--state", tmp.dir], text)).toBe(0);
    expect(text.out()).toMatch(/dead letters:\n {2}#\d+ triage p@x \(1 attempts\): git exploded/);
  });

  it("status --requeue brings a dead letter back; replay queues the thread", async () => {
    const t = io();
    const dead = JSON.parse((await main(["status", "--state", tmp.dir, "--json"], t), t.out())).queue.dead[0].id as number;
    expect(await main(["status", "--state", tmp.dir, "--requeue", String(dead), "--json"], io())).toBe(0);
    const r = io();
    expect(await main(["replay", "<p@x>", "--state", tmp.dir], r)).toBe(0);
    expect(JSON.parse(r.out())).toMatchObject({ thread: "p@x" });
    const store = SqliteStore.open(tmp.dir);
    expect((await store.queueCounts()).queued).toBe(1); // requeued + replay coalesce into one job
    await store.close();
    const missing = io();
    expect(await main(["replay", "nope@x", "--state", tmp.dir], missing)).toBe(2);
    expect(missing.err()).toMatch(/no message <nope@x>/);
  });

  it("status on a folder without state is a usage error", async () => {
    const empty = tempDir("irqtriage-cli-empty-");
    const t = io();
    expect(await main(["status", "--state", empty.dir], t)).toBe(2);
    expect(t.err()).toMatch(/no daemon state/);
    empty.remove();
  });

  it("daemon flags and environment override the config", () => {
    const c = testConfig({});
    applyDaemonOverrides(
      c,
      { values: { imap: "imap://list@127.0.0.1:1143/lkml", from: "bot <b@x.org>", "http-port": "0" }, positionals: [] },
      { IRQTRIAGE_SMTP: "smtp://127.0.0.1:2525", IRQTRIAGE_STATE: "st" },
      "/tmp/base",
    );
    expect(c.imap).toMatchObject({ host: "127.0.0.1", port: 1143, secure: false, user: "list", mailboxes: ["lkml"] });
    expect(c.smtp).toMatchObject({ host: "127.0.0.1", port: 2525 });
    expect(c.reply.from).toBe("bot <b@x.org>");
    expect(c.stateDir).toBe("/tmp/base/st");
    expect(c.daemon.http.port).toBe(0);
  });
});
