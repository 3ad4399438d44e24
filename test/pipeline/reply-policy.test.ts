import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/config.js";
import { validateConfig } from "../../src/config/validate-config.js";
import { silentLogger } from "../../src/log/logger.js";
import { fixturesDir, packageRoot } from "../../src/package-root.js";
import { ensureDemoMirror } from "../../src/pipeline/ensure-demo-mirror.js";
import { runTriage, type RunTriageOutcome } from "../../src/pipeline/run-triage.js";
import type { RevisionResult } from "../../src/types/triage-result.js";

// The reply policy (issue 13): one reply per live revision, decided with what is known when the
// reply is written. fixtures/mail/policy/ holds one case per rule (make-policy-fixtures.py).
const policyDir = path.join(fixturesDir, "mail", "policy");
const corpusDir = path.resolve(packageRoot, "../shared/corpus/genirq-refcount-2020");
const linuxMirror = process.env["IRQTRIAGE_LINUX_MIRROR"] ?? path.join(os.homedir(), ".cache/irqtriage/linux-6.1");
let state: string;
let demoMirror: string;

function config(stateDir: string, mirror: string | null): Config {
  const v = validateConfig({ stateDir, mirror: { path: mirror } });
  if (!v.ok) throw new Error(v.problems.join("; "));
  return v.config;
}

async function run(paths: string[], stateDir: string, mirror: string | null): Promise<RunTriageOutcome> {
  return runTriage({ paths, config: config(stateDir, mirror), log: silentLogger(), now: () => new Date("2024-08-01T00:00:00Z") });
}

function rev(o: RunTriageOutcome, lineage: string, version: number): RevisionResult {
  const r = o.result.series.find((s) => s.lineage === lineage)?.revisions.find((x) => x.version === version);
  if (!r) throw new Error(`no v${version} in ${lineage}: ${JSON.stringify(o.result.series.map((s) => s.lineage))}`);
  return r;
}

beforeAll(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), "irqtriage-policy-"));
  demoMirror = await ensureDemoMirror(path.join(fixturesDir, "kernel-tree"), path.join(state, "mirror"));
}, 60_000);
afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});

describe("reply policy on the policy fixtures (one batch run)", () => {
  let out: RunTriageOutcome;
  beforeAll(async () => {
    out = await run([policyDir], path.join(state, "all"), demoMirror);
  }, 120_000);

  it("a revision its author withdrew gets no reply, and says why", () => {
    const w = rev(out, "w1@dev.example.org", 1);
    expect(w).toMatchObject({ status: "withdrawn", quiet: "withdrawn by its author", reply: null });
  });

  it("a b4 thank-you to a revision whose patch mails are absent makes an applied placeholder that keeps its Reviewed-by replies", () => {
    const p = rev(out, "p2-0@dev.example.org", 2);
    expect(p.status).toBe("placeholder");
    expect(p.applied).toEqual({ commit: "5e8c2b1a90d4", tree: "tip irq/core", msgid: "p2-ty@irq.example.org" });
    expect(p.reply).toBeNull();
    expect(p.quiet).toMatch(/placeholder/);
    expect(p.title).toBe("irqchip/demo-intc: refcount the parent mapping");
    expect(p.trailers.filter((t) => t.name === "Reviewed-by").map((t) => t.value)).toEqual(["Rex Reviewer <rex@irq.example.org>", "Ada Maintainer <ada@irq.example.org>"]);
  });

  it("a follow-up citing the applied commit joins the lineage that carried it, and supersedes nothing", () => {
    const series = out.result.series.find((s) => s.lineage === "p2-0@dev.example.org");
    expect(series?.revisions.map((r) => [r.version, r.status])).toEqual([
      [2, "placeholder"],
      [1, "live"],
    ]);
    expect(series?.revisions[1]?.patches[0]?.msgid).toBe("f1@dev.example.org");
  });

  it("v1 and v2 superseded by v3 get no reply; v3 does", () => {
    expect(rev(out, "d1-0@dev.example.org", 1)).toMatchObject({ status: "superseded", quiet: "superseded by v2", reply: null });
    expect(rev(out, "d1-0@dev.example.org", 2)).toMatchObject({ status: "superseded", quiet: "superseded by v3", reply: null });
    expect(rev(out, "d1-0@dev.example.org", 3)).toMatchObject({ status: "live", quiet: null });
    expect(rev(out, "d1-0@dev.example.org", 3).reply).not.toBeNull();
    expect(out.written.length).toBe(out.result.series.flatMap((s) => s.revisions).filter((r) => r.reply).length);
  });
});

describe("a patch already in the mirror", () => {
  it("is reported applied (same subject and author, or the same patch-id) and gets no reply", async () => {
    const mirror = path.join(state, "applied-mirror");
    cpSync(demoMirror, mirror, { recursive: true });
    const git = (...a: string[]) => execFileSync("git", ["-c", "core.hooksPath=/dev/null", "-c", "user.name=t", "-c", "user.email=t@t", ...a], { cwd: mirror, encoding: "utf8" });
    git("am", "-q", path.join(policyDir, "m-1.eml"));
    const sha = git("rev-parse", "HEAD").trim();
    const out = await run([path.join(policyDir, "m-1.eml")], path.join(state, "m"), mirror);
    expect(rev(out, "m1@dev.example.org", 1)).toMatchObject({ status: "applied", applied: { commit: sha, tree: null, msgid: null }, reply: null });
    expect(rev(out, "m1@dev.example.org", 1).quiet).toMatch(/already applied as [0-9a-f]{12}/);
    // The same patch under another subject: found by its patch-id.
    const renamed = path.join(state, "m-renamed.eml");
    mkdirSync(path.dirname(renamed), { recursive: true });
    const text = readFileSync(path.join(policyDir, "m-1.eml"), "utf8").replace(/^Subject: .*$/m, "Subject: [PATCH] mfd: demo-mfd: balance the mapping").replace(/<m1@/, "<m1b@");
    await import("node:fs/promises").then((fs) => fs.writeFile(renamed, text));
    const again = await run([renamed], path.join(state, "m2"), mirror);
    expect(rev(again, "m1b@dev.example.org", 1)).toMatchObject({ status: "applied", applied: { commit: sha } });
  }, 120_000);
});

describe("revisions compared with each other", () => {
  it("v3's reply lists what is new, unchanged (one line, linking the v2 reply) and fixed since v2", async () => {
    const st = path.join(state, "delta");
    const only = (max: number): string => {
      const d = path.join(state, `delta-mail-${max}`);
      mkdirSync(d, { recursive: true });
      for (const f of readdirSync(policyDir).filter((n) => /^d-v(\d)/.test(n) && Number(/^d-v(\d)/.exec(n)?.[1]) <= max)) cpSync(path.join(policyDir, f), path.join(d, f));
      return d;
    };
    const v1 = await run([only(1)], st, demoMirror);
    expect(rev(v1, "d1-0@dev.example.org", 1).findings.every((f) => f.since === "new")).toBe(true);
    const v2 = await run([only(2)], st, demoMirror);
    const r2 = rev(v2, "d1-0@dev.example.org", 2);
    expect(r2.findings.length).toBeGreaterThan(0);
    expect(r2.findings.every((f) => f.since === "unchanged")).toBe(true);
    const v3 = await run([only(3)], st, demoMirror);
    const r3 = rev(v3, "d1-0@dev.example.org", 3);
    const since = (re: RegExp) => r3.findings.filter((f) => re.test(f.id)).map((f) => f.since);
    expect(since(/^bal-demo-mfd-/)).toEqual(["new"]);
    expect(since(/^bal-pci-demo-phb-/)).toEqual(["unchanged"]);
    expect(since(/^bal-gpio-demo-/)).toEqual(["fixed"]);
    const mfd = r3.findings.find((f) => f.id.startsWith("bal-demo-mfd-"));
    expect(mfd).toMatchObject({ kind: "class-changed", severity: "problem", file: "drivers/mfd/demo-mfd.c", line: 23 });
    const text = (await readFile(r3.reply as string, "utf8")).replace(/\r\n/g, "\n");
    const v2reply = (await readFile(r2.reply as string, "utf8")).match(/^Message-ID: <([^>]+)>/m)?.[1];
    expect(text).toMatch(/^New since v2:\n- bal-demo-mfd-[0-9a-f]{6}: /m);
    const unchanged = r3.findings.filter((f) => f.since === "unchanged").length;
    expect(text.replace(/\n\s*/g, " ")).toContain(`Unchanged since v2 (${unchanged}, see https://lore.kernel.org/r/${v2reply}):`);
    expect(text).toMatch(/^Fixed since v2:\n- bal-gpio-demo-[0-9a-f]{6}: /m);
  }, 180_000);
});

// The real 2020 thread against Linux 6.1 (../shared is data a clone does not have).
describe.runIf(existsSync(corpusDir) && existsSync(linuxMirror))("the genirq refcount corpus", () => {
  it("gets exactly one reply, to v3: RFC and v2 superseded (v2 also withdrawn), v4 incomplete", async () => {
    const out = await run([corpusDir], path.join(state, "corpus"), linuxMirror);
    const lineage = "20201027090655.14118-1-aik@ozlabs.ru";
    expect(out.result.series.find((s) => s.lineage === lineage)?.revisions.map((r) => [r.version, r.rfc, r.status])).toEqual([
      [1, true, "superseded"],
      [2, false, "superseded"],
      [3, false, "live"],
      [4, false, "incomplete"],
    ]);
    expect(rev(out, lineage, 2).quiet).toBe("superseded by v3; withdrawn by its author");
    expect(out.result.series.flatMap((s) => s.revisions).filter((r) => r.reply).map((r) => r.version)).toEqual([3]);
  }, 300_000);
});
