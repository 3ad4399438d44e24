import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutboxSender, type MailSender } from "../../src/daemon/outbox-sender.js";
import { silentLogger } from "../../src/log/logger.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { OutboxEntry } from "../../src/store/store.js";
import { reply } from "../store/mail-fixture.js";
import { tempDir } from "./daemon-harness.js";

let tmp: ReturnType<typeof tempDir>;
let store: SqliteStore;
let clock = 1_000_000;
const now = () => clock;

/** A sender scripted per call: "ok", "refused" (4xx), "lost" (connection died mid-DATA), "down". */
function scripted(script: string[]): MailSender & { sent: string[] } {
  const sent: string[] = [];
  let ready = true;
  return {
    sent,
    async ready() {
      ready = script[0] !== "down";
      if (!ready) {
        script.shift();
        throw Object.assign(new Error("connect ECONNREFUSED"), { command: "CONN" });
      }
    },
    async send(e: OutboxEntry) {
      const step = script.shift() ?? "ok";
      if (step === "refused") throw Object.assign(new Error("451 try later"), { responseCode: 451 });
      if (step === "lost") throw new Error("SMTP connection closed");
      sent.push(e.messageId);
    },
    close() {},
  };
}

const cfg = (over: Partial<ConstructorParameters<typeof OutboxSender>[0]["cfg"]> = {}) => ({
  sendIntervalMs: 10,
  maxAttempts: 3,
  retryMs: 100,
  inDoubtGraceMs: 5_000,
  inDoubt: "at-most-once" as const,
  ...over,
});

beforeEach(async () => {
  tmp = tempDir("irqtriage-outbox-");
  store = SqliteStore.open(tmp.dir);
  await store.recordTriage({ root: "p@x", results: [], replies: [reply("a#v1", "p@x", "ra@bot"), reply("b#v1", "p@x", "rb@bot")], retest: null, now: clock });
});
afterEach(async () => {
  await store.close();
  tmp.remove();
});

describe("OutboxSender", () => {
  it("sends each pending reply once and marks it sent", async () => {
    const sender = scripted([]);
    const ob = new OutboxSender({ store, sender, envelopeFrom: "bot@bot", cfg: cfg(), log: silentLogger(), now });
    expect(await ob.runOnce()).toEqual({ sent: 2, failed: 0 });
    expect(await ob.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(sender.sent).toEqual(["ra@bot", "rb@bot"]);
    expect((await store.outbox()).every((e) => e.state === "sent" && e.sentHow === "smtp")).toBe(true);
  });

  it("a server that is down changes nothing; a refusal is retried later, then given up", async () => {
    const sender = scripted(["down"]);
    const ob = new OutboxSender({ store, sender, envelopeFrom: "bot@bot", cfg: cfg(), log: silentLogger(), now });
    expect((await ob.runOnce()).failed).toBe(1);
    expect((await store.outbox()).map((e) => [e.state, e.attempts])).toEqual([["pending", 0], ["pending", 0]]);
    clock += 1_000;
    sender.sent.length = 0;
    const refusing = scripted(["refused"]);
    const ob2 = new OutboxSender({ store, sender: refusing, envelopeFrom: "bot@bot", cfg: cfg(), log: silentLogger(), now });
    await ob2.runOnce();
    const a = await store.outboxByMessageId("ra@bot");
    expect(a?.state).toBe("pending");
    expect(a?.lastError).toMatch(/451/);
  });

  it("a send lost mid-DATA stays in doubt; the list copy or the grace policy resolves it", async () => {
    const sender = scripted(["lost", "lost"]);
    const ob = new OutboxSender({ store, sender, envelopeFrom: "bot@bot", cfg: cfg(), log: silentLogger(), now });
    await ob.runOnce();
    expect((await store.inDoubt()).map((e) => e.key)).toEqual(["a#v1"]);
    await ob.runOnce();
    expect((await store.inDoubt()).map((e) => e.key)).toEqual(["a#v1", "b#v1"]);
    // a's copy comes back from the list: sent
    await store.ingestMessage({ message: { ...(await import("../store/mail-fixture.js")).mail("ra@bot") }, mailbox: "m", uid: 1, ignored: "own", checkpoint: null, settleMs: 0, maxDelayMs: 0, now: clock });
    clock += 6_000;
    await ob.runOnce();
    expect((await store.outboxByMessageId("ra@bot"))?.state).toBe("sent");
    // b never showed up: abandoned, never resent (at-most-once)
    expect((await store.outboxByMessageId("rb@bot"))?.state).toBe("abandoned");
    expect(sender.sent).toEqual([]);
  });

  it("at-least-once resends an in-doubt reply after the grace period", async () => {
    const sender = scripted(["lost", "ok", "ok"]);
    const ob = new OutboxSender({ store, sender, envelopeFrom: "bot@bot", cfg: cfg({ inDoubt: "at-least-once" }), log: silentLogger(), now });
    await ob.runOnce();
    clock += 6_000;
    await ob.runOnce();
    expect(sender.sent.sort()).toEqual(["ra@bot", "rb@bot"]);
    expect((await store.outbox()).every((e) => e.state === "sent")).toBe(true);
  });
});
