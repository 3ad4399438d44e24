import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCommandProcessor } from "../../src/mail-commands/io/create-command-processor.js";
import { startDaemon } from "../../src/daemon/daemon.js";
import { buildPipeline } from "../../src/pipeline/build-pipeline.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { onePatchMail, tempDir, testConfig, testLogger, waitFor } from "./daemon-harness.js";

/**
 * The daemon on local mail files (`daemon.files`, re-read every poll) with the real pipeline
 * and the real command processor: a maintainer's `#irqtriage retest` in the thread gets one
 * answer and one more reply for the revision, and re-reading the files changes nothing.
 */
let tmp: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(() => {
  tmp = tempDir("irqtriage-files-");
  store = SqliteStore.open(path.join(tmp.dir, "state"));
});
afterEach(async () => {
  await store.close();
  tmp.remove();
});

const command = [
  "From: Marc Zyngier <maz@kernel.org>",
  "To: linux-kernel@vger.kernel.org",
  "Subject: Re: [PATCH] genirq: fix refcount in mapping path number f1",
  "Date: Fri, 02 Jan 2026 10:00:00 +0000",
  "Message-ID: <cmd-1@kernel.org>",
  "In-Reply-To: <f-1@example.org>",
  "References: <f-1@example.org>",
  "",
  "#irqtriage retest",
  "",
].join("\r\n");

describe("daemon on mail files, with command mails", () => {
  it("triages, answers a retest once, and re-reading the files adds nothing", async () => {
    const mailDir = path.join(tmp.dir, "mail");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(mailDir);
    writeFileSync(path.join(mailDir, "1.eml"), onePatchMail(1, { stamp: "f" }));
    const config = testConfig({
      stateDir: path.join(tmp.dir, "state"),
      daemon: { files: [mailDir], settleMs: 50, http: { port: null } },
      imap: { pollIntervalMs: 200 },
      commands: { requireDkim: false, allowlist: ["maz@kernel.org"] },
    });
    const log = testLogger();
    const daemon = await startDaemon({
      config,
      store,
      log,
      pipeline: (await buildPipeline({ config: config, log, daemon: true })).run,
      imap: null,
      sender: null,
      commands: await createCommandProcessor(config, store, log),
    });
    try {
      await waitFor("first reply", async () => (await store.outbox()).length === 1, 20_000);
      writeFileSync(path.join(mailDir, "2.eml"), command);
      await waitFor("answer + retest reply", async () => (await store.outbox()).length === 3, 20_000);
      await new Promise((r) => setTimeout(r, 1_000)); // several more re-reads of the folder
      const keys = (await store.outbox()).map((e) => e.key).sort();
      expect(keys).toHaveLength(3);
      expect(keys).toContain("command:cmd-1@kernel.org");
      expect(keys.filter((k) => k.startsWith("f-1@example.org#v1"))).toHaveLength(2);
      const answer = await store.outboxByMessageId((await store.outbox()).find((e) => e.key === "command:cmd-1@kernel.org")!.messageId);
      expect(answer?.inReplyTo).toBe("cmd-1@kernel.org");
      expect((await store.commands({ sender: "maz@kernel.org" })).length).toBeGreaterThan(0);
      expect((await store.queueCounts()).dead).toBe(0);
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});
