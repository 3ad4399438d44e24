import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeries, type DemoSeries } from "../support/demo-series.js";
import type { IgnoreRecord } from "../../src/mail-commands/command-context.js";
import type { Config } from "../../src/config/config.js";
import type { Publisher, RevisionToPublish } from "../../src/github/publisher.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { silentLogger } from "../../src/log/logger.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import { rulesDir } from "../../src/package-root.js";
import { defaultStages } from "../../src/pipeline/stage-registry.js";
import { triageMessages, type TriageRun } from "../../src/pipeline/triage-messages.js";

// The later stages on the demo series, with the real mapping-balance analysis and simulation:
// v1 of "demo drivers: dispose IRQ mappings on remove" turns pci-demo-phb's never-disposed
// shared INTx mapping into a per-device dispose (the RFC 2/2 mistake).
let demo: DemoSeries;
let config: Config;
let messages: MailMessage[];
let mirror: LocalGitMirror;

beforeAll(async () => {
  demo = await demoSeries("irqtriage-stages-");
  ({ config, messages, mirror } = demo);
}, 120_000);

afterAll(async () => {
  await demo.close();
});

/**
 * Triage the demo mail, or with `upTo` only the demo series up to that version (the other
 * fixtures stay): a batch run answers only the newest complete revision of a lineage, so each
 * older revision is looked at as it was when it was the newest.
 */
async function triage(extra: Partial<Parameters<typeof triageMessages>[1]> = {}, upTo?: number): Promise<TriageRun> {
  const later = upTo === undefined ? [] : [upTo + 1, upTo + 2].map((v) => `a${v}-`);
  const mail = messages.filter((m) => !later.some((p) => m.msgid.startsWith(p)) && !(upTo !== undefined && m.references.some((r) => later.some((p) => r.startsWith(p)))));
  return triageMessages(mail, {
    config,
    log: silentLogger(),
    rules: await loadRelevanceRules(rulesDir),
    mirror,
    stages: defaultStages(),
    ...extra,
  });
}

function replyOf(run: TriageRun, suffix: string): string {
  const r = run.revisions.find((x) => x.key.startsWith("a1-0@dev.example.org") && x.key.endsWith(suffix));
  if (!r?.reply) throw new Error(`no reply for ${suffix}`);
  return r.reply.eml.replace(/\r\n/g, "\n");
}

describe("pipeline stages on the demo series", () => {
  it("reports the shared dispose with both lines, a simulation trace and finding ids", async () => {
    const run = await triage({}, 1);
    const v1 = replyOf(run, "#v1");
    expect(v1).toMatch(/IRQ mapping balance/);
    expect(v1).toMatch(/pci-demo-phb\.c: never-disposes ->\n\s+shared-dispose/);
    expect(v1).toMatch(/create drivers\/pci\/controller\/pci-demo-phb\.c:\d+ demo_phb_map_intx\(\)/);
    expect(v1).toMatch(/Reference-count simulation/);
    expect(v1).toMatch(/premature-unmap/);
    expect(v1).toMatch(/^- bal-pci-demo-phb-[0-9a-f]{6}: /m);
    expect(run.result.errors).toEqual([]);
  }, 120_000);

  it("carries an ignore given on v2 to v3: the finding leaves the sections and the reply says so", async () => {
    const first = await triage();
    const id = /^- (bal-pci-demo-phb-[0-9a-f]{6}):/m.exec(replyOf(first, "#v3"))?.[1];
    expect(id).toBeDefined();
    const ignore: IgnoreRecord = {
      lineage: "a1-0@dev.example.org",
      findingId: id as string,
      reason: "the bridge owns the line",
      by: "ada@irq.example.org",
      version: 2,
      at: new Date("2024-06-20T00:00:00Z"),
    };
    const run = await triage({ ignores: async (lineage) => (lineage === ignore.lineage ? [ignore] : []) });
    const v3 = replyOf(run, "#v3");
    expect(v3.replace(/\n\s*/g, " ")).toContain(`suppressed: ${id} (ignored by ada@irq.example.org on v2: the bridge owns the line)`);
    expect(v3).not.toMatch(/never-disposes ->\n\s+shared-dispose/);
    expect(v3).not.toContain(`- ${id}:`);
  }, 120_000);

  it("publishes each applied revision with its head commit and findings", async () => {
    const published: RevisionToPublish[] = [];
    const publisher: Publisher = {
      async publishRevision(rev) {
        published.push(rev);
        return { branch: "b", pullNumber: 1, pullUrl: "u", pullCreated: published.length === 1, reportId: 1, commentId: 1 };
      },
    };
    for (const v of [1, 2, 3]) await triage({ publisher }, v);
    const demo = published.filter((p) => p.lineage === "a1-0@dev.example.org");
    expect(demo.map((p) => p.version)).toEqual([1, 2, 3]);
    for (const p of demo) {
      expect(await mirror.hasCommit(p.head)).toBe(true);
      const log = await mirror.git(["log", "--format=%s", `${p.base}..${p.head}`]);
      expect(log.stdout.trim().split("\n")).toHaveLength(3);
    }
    expect(demo[0]?.findings.map((f) => f.id)).toEqual(expect.arrayContaining([expect.stringMatching(/^bal-pci-demo-phb-/)]));
  }, 120_000);
});
