import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate-config.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { ingest } from "../../src/mail/io/ingest.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { silentLogger } from "../../src/log/logger.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import { fixturesDir, rulesDir } from "../../src/package-root.js";
import { ensureDemoMirror } from "../../src/pipeline/ensure-demo-mirror.js";
import { defaultStages } from "../../src/pipeline/stage-registry.js";
import { triageMessages } from "../../src/pipeline/triage-messages.js";

// The QEMU stage inside the pipeline with a configured prebuilt kernel (Debian's, installed by
// .ci/run): a real guest boots and hot-plugs, and the reply must say plainly that the guest did
// not run the patched kernel.
const kernel = "/boot/vmlinuz-6.1.0-56-cloud-amd64";
if (!existsSync(kernel)) console.warn(`Debian kernel ${kernel} absent (apt-get install linux-image-cloud-amd64)`);

describe.runIf(existsSync(kernel))("QEMU stage in the pipeline", () => {
  let state = "";
  afterAll(async () => {
    if (state) await rm(state, { recursive: true, force: true });
  });

  it("boots the configured kernel for a relevant revision and says it is not the patched one", async () => {
    state = await mkdtemp(path.join(os.tmpdir(), "irqtriage-qstage-"));
    const v = validateConfig({ stateDir: state, qemu: { enabled: true, kernel, accel: "tcg", scenario: "msi-hotplug", cycles: 1 } });
    if (!v.ok) throw new Error(v.problems.join("; "));
    const mirror = new LocalGitMirror({ path: await ensureDemoMirror(path.join(fixturesDir, "kernel-tree"), path.join(state, "mirror")) });
    const messages: MailMessage[] = [];
    for await (const m of ingest([path.join(fixturesDir, "mail", "series", "d-attachment.eml")])) if (!("error" in m)) messages.push(m);
    const run = await triageMessages(messages, {
      config: v.config,
      log: silentLogger(),
      rules: await loadRelevanceRules(rulesDir),
      mirror,
      stages: defaultStages().filter((s) => s.name === "qemu"),
    });
    expect(run.result.errors).toEqual([]);
    const rr = run.revisions[0];
    const q = rr?.stages.find((s) => s.stage === "qemu")?.details as { verdict: string; patched: boolean; baseline: { descriptors: number } | null; cycles: unknown[] };
    expect(q.patched).toBe(false);
    expect(q.verdict).toBe("pass");
    expect(q.baseline?.descriptors).toBeGreaterThan(0);
    expect(q.cycles).toHaveLength(1);
    const text = rr?.reply?.eml.replace(/\r\n/g, "\n").replace(/\n\s*/g, " ") ?? "";
    expect(text).toContain("QEMU hot-plug check");
    expect(text).toContain("the guest did NOT run the patched kernel");
  }, 300_000);
});
