import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BalanceRules } from "../../src/analysis/balance-rules.js";
import { compareFindings } from "../../src/analysis/compare-findings.js";
import { coreFanout } from "../../src/analysis/core-fanout.js";
import { detectCoreSemantics } from "../../src/analysis/detect-core-semantics.js";
import { analyzeDelta } from "../../src/analysis/io/analyze-delta.js";
import { listCandidates } from "../../src/analysis/io/list-candidates.js";
import { loadBalanceRules } from "../../src/analysis/io/load-balance-rules.js";
import { renderFindingsSection } from "../../src/analysis/render-findings-section.js";
import type { Finding } from "../../src/analysis/scan-result.js";
import { validateBalanceRules } from "../../src/analysis/validate-balance-rules.js";
import { main } from "../../src/cli/main.js";

let rules: BalanceRules;
let tmp = "";
beforeAll(async () => {
  rules = await loadBalanceRules();
  tmp = await mkdtemp(path.join(os.tmpdir(), "irqtriage-analysis-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const finding = (over: Partial<Finding>): Finding => ({
  id: "irq-mapping:drivers/x.c",
  class: "balanced",
  unit: "drivers/x.c",
  family: "irq-mapping",
  create: [{ file: "drivers/x.c", line: 10, function: "x_probe", api: "irq_of_parse_and_map", path: "probe" }],
  release: [{ file: "drivers/x.c", line: 20, function: "x_remove", api: "irq_dispose_mapping", path: "remove" }],
  confidence: "high",
  reason: "creates on setup and disposes on teardown",
  ...over,
});

describe("compareFindings", () => {
  it("reports new, fixed, changed and moved units; ignores pure line shifts", () => {
    const a = finding({});
    const shifted = finding({ create: [{ ...a.create[0]!, line: 14 }], release: [{ ...a.release[0]!, line: 24 }] });
    expect(compareFindings([a], [shifted])).toEqual([]);
    const broken = finding({ class: "never-disposes", release: [] });
    expect(compareFindings([a], [broken]).map((c) => c.kind)).toEqual(["new-imbalance"]);
    expect(compareFindings([broken], [a]).map((c) => c.kind)).toEqual(["fixed-imbalance"]);
    const moved = finding({ release: [{ ...a.release[0]!, function: "x_shutdown", path: "shutdown" }] });
    expect(compareFindings([a], [moved]).map((c) => c.kind)).toEqual(["moved"]);
    const shared = finding({ class: "shared-dispose" });
    expect(compareFindings([broken], [shared]).map((c) => c.kind)).toEqual(["class-changed"]);
    expect(compareFindings([], [broken]).map((c) => c.kind)).toEqual(["new-imbalance"]);
    expect(compareFindings([a], []).map((c) => c.kind)).toEqual(["removed-unit"]);
  });
});

const coreDiff = `diff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c
--- a/kernel/irq/irqdomain.c
+++ b/kernel/irq/irqdomain.c
@@ -650,6 +650,7 @@ unsigned int irq_create_mapping_affinity(struct irq_domain *domain,
 	virq = irq_find_mapping(domain, hwirq);
 	if (virq) {
 		pr_debug("-> existing mapping on virq %d\\n", virq);
+		kobject_get(&irq_to_desc(virq)->kobj);
 		return virq;
 	}
 
@@ -860,8 +861,7 @@ EXPORT_SYMBOL_GPL(irq_create_of_mapping);
  */
 void irq_dispose_mapping(unsigned int virq)
 {
-	irq_domain_disassociate(domain, virq);
-	irq_free_desc(virq);
+	kobject_put(&irq_to_desc(virq)->kobj);
 }
`;

describe("detectCoreSemantics + coreFanout", () => {
  it("finds create -> get and dispose -> put from added lines in kernel/irq/", () => {
    const c = detectCoreSemantics(coreDiff, rules)!;
    expect(c.createTakesReference).toBe(true);
    expect(c.disposeDropsReference).toBe(true);
    expect(c.evidence).toEqual([
      expect.objectContaining({ function: "irq_create_mapping_affinity", line: 653, effect: "create-takes-reference" }),
      expect.objectContaining({ function: "irq_dispose_mapping", line: 864, effect: "dispose-drops-reference" }),
    ]);
    expect(detectCoreSemantics(coreDiff.replaceAll("kernel/irq/", "drivers/irq/"), rules)).toBeNull();
    expect(detectCoreSemantics(coreDiff.replace("+\t\tkobject_get(&irq_to_desc(virq)->kobj);\n", ""), rules)?.createTakesReference).toBe(false);
  });

  it("fans out over base findings by class, worst first", () => {
    const c = detectCoreSemantics(coreDiff, rules)!;
    const base = [
      finding({}),
      finding({ id: "a", unit: "drivers/a.c", class: "never-disposes", release: [], confidence: "low" }),
      finding({ id: "b", unit: "drivers/b.c", class: "never-disposes", release: [], confidence: "high" }),
      finding({ id: "c", unit: "drivers/c.c", class: "create-twice-dispose-once" }),
    ];
    const fan = coreFanout(c, base);
    expect(fan.groups.map((g) => [g.class, g.count])).toEqual([
      ["never-disposes", 2],
      ["create-twice-dispose-once", 1],
    ]);
    expect(fan.groups[0]!.units).toEqual(["drivers/b.c", "drivers/a.c"]);
    expect(fan.affected).toBe(3);
  });
});

describe("renderFindingsSection", () => {
  it("puts new imbalances first, keeps lines <= 72 columns, points at the full list", () => {
    const longPath = "drivers/net/ethernet/samsung/sxgbe/some/very/deep/directory/sxgbe_platform_driver_file.c";
    const before = finding({ unit: longPath, create: [{ file: longPath, line: 114, function: "sxgbe_platform_probe_with_a_long_name", path: "probe" }] });
    const after = { ...before, class: "never-disposes" as const, release: [], reason: "creates a mapping and never disposes it" };
    const fixedB = finding({ id: "f", unit: "drivers/f.c", class: "error-path-only" });
    const fixedA = finding({ id: "f", unit: "drivers/f.c" });
    const changes = compareFindings([before, fixedB], [after, fixedA]);
    const fan = coreFanout(detectCoreSemantics(coreDiff, rules)!, [after]);
    const text = renderFindingsSection({ changes, fanout: fan }, { pointer: "https://example.invalid/irqtriage/scan/0123456789abcdef.json" });
    const lines = text.trimEnd().split("\n");
    for (const l of lines) {
      expect(l.length).toBeLessThanOrEqual(72);
      expect(l).toBe(l.trimEnd());
    }
    expect(lines[0]).toBe("New imbalance (1):");
    expect(text.indexOf("Core semantics")).toBeLessThan(text.indexOf("Fixed imbalance"));
    expect(text).toContain("removed drivers/x.c:20 x_remove()");
    expect(text).toMatch(/Full list: https:/);
    expect(lines[1]).toMatch(/^- drivers\/net\/ethernet\//);
    expect(renderFindingsSection({ changes: [], fanout: null, changedFiles: ["a.c"] })).toBe("No change in IRQ-mapping balance in the 1 changed C file.\n");
  });
});

function capture(): { stream: Writable; text: () => string } {
  let buf = "";
  return {
    stream: new Writable({
      write(chunk, _enc, cb) {
        buf += String(chunk);
        cb();
      },
    }),
    text: () => buf,
  };
}

describe("irqtriage scan (in-process CLI) and delta on a small tree", () => {
  const driver = `static int foo_probe(struct platform_device *pdev)
{
	p->irq = irq_of_parse_and_map(pdev->dev.of_node, 0);
	return 0;
}
static int foo_remove(struct platform_device *pdev)
{
	irq_dispose_mapping(p->irq);
	return 0;
}
static struct platform_driver foo_driver = { .probe = foo_probe, .remove = foo_remove };
`;
  const leaky = `static int bar_probe(struct platform_device *pdev)
{
	return of_irq_get(pdev->dev.of_node, 0) > 0 ? 0 : -ENODEV;
}
static struct platform_driver bar_driver = { .probe = bar_probe };
`;

  it("prints the JSON contract, filters by class and sets the exit code", async () => {
    const tree = path.join(tmp, "tree");
    await mkdir(path.join(tree, "drivers/foo"), { recursive: true });
    await writeFile(path.join(tree, "drivers/foo/foo.c"), driver);
    await writeFile(path.join(tree, "drivers/foo/bar.c"), leaky);
    await writeFile(path.join(tree, "drivers/foo/none.c"), "int x;\n");
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const out = capture();
      const err = capture();
      const code = await main(args, { stdout: out.stream, stderr: err.stream, env: {}, cwd: tmp, isTTY: false, signal: new AbortController().signal });
      return { code, out: out.text(), err: err.text() };
    };
    const all = await run(["scan", "tree", "--json", "--workers", "0"]);
    expect(all.code).toBe(1);
    const json = JSON.parse(all.out) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(["counts", "files", "findings", "sites", "tree"]);
    expect(json["files"]).toBe(2);
    expect(json["sites"]).toBe(3);
    expect(json["counts"]).toMatchObject({ balanced: 1, "never-disposes": 1 });
    const findings = json["findings"] as Finding[];
    expect(findings.map((f) => [f.unit, f.class])).toEqual([
      ["drivers/foo/bar.c", "never-disposes"],
      ["drivers/foo/foo.c", "balanced"],
    ]);
    expect(findings[1]!.create[0]).toMatchObject({ file: "drivers/foo/foo.c", line: 3, function: "foo_probe" });
    const onlyBalanced = await run(["scan", "tree", "--json", "--class", "balanced", "--workers", "0"]);
    expect(onlyBalanced.code).toBe(0);
    expect((JSON.parse(onlyBalanced.out) as { findings: Finding[] }).findings).toHaveLength(1);
    const text = await run(["scan", "tree", "--workers", "0"]);
    expect(text.out).toContain("never-disposes [high] drivers/foo/bar.c");
    expect((await run(["scan", "tree", "--class", "nonsense"])).code).toBe(2);
    expect((await run(["scan", "no-such-dir"])).code).toBe(2);
  });

  it("delta mode: new imbalance in a one-driver patch, with both lines", async () => {
    const base = path.join(tmp, "base");
    const applied = path.join(tmp, "applied");
    for (const [dir, text] of [[base, driver], [applied, driver.replace("\tirq_dispose_mapping(p->irq);\n", "")]] as const) {
      await mkdir(path.join(dir, "drivers/foo"), { recursive: true });
      await writeFile(path.join(dir, "drivers/foo/foo.c"), text);
    }
    const d = await analyzeDelta({ baseTree: base, appliedTree: applied, changedFiles: ["drivers/foo/foo.c", "../etc/passwd"], rules });
    expect(d.changedFiles).toEqual(["drivers/foo/foo.c"]);
    expect(d.changes.map((c) => [c.kind, c.before?.class, c.after?.class])).toEqual([["new-imbalance", "balanced", "never-disposes"]]);
    expect(d.changes[0]!.before!.release[0]).toMatchObject({ line: 8, function: "foo_remove" });
    expect(d.changes[0]!.after!.create[0]).toMatchObject({ line: 3, function: "foo_probe" });
    expect(d.core).toBeNull();
  });

  it("lists candidates without git by a byte search", async () => {
    const got: string[] = [];
    for await (const f of listCandidates(path.join(tmp, "tree"), ["irq_dispose_mapping", "of_irq_get"])) got.push(f);
    expect(got.sort()).toEqual(["drivers/foo/bar.c", "drivers/foo/foo.c"]);
  });
});

describe("validateBalanceRules", () => {
  it("reports schema problems and unknown families", async () => {
    const schema = (await import("../../rules/schema/balance.schema.json", { with: { type: "json" } })).default;
    const api = { families: [{ name: "irq-mapping", create: ["a"], release: ["b"] }] };
    const bad = validateBalanceRules({ families: ["irq-mapping"], rootFields: { probe: { kind: "probe", phase: "sometimes" } }, rootCalls: {} }, api, schema);
    expect(bad.rules).toBeNull();
    expect(bad.problems.join("\n")).toMatch(/rootFields\/probe\/phase/);
    const unknown = validateBalanceRules({ families: ["request-irq"], rootFields: {}, rootCalls: {} }, api, schema);
    expect(unknown.problems).toEqual(['balance.yaml: family "request-irq" is not in mapping-api.yaml']);
    const ok = validateBalanceRules({ families: ["irq-mapping"], rootFields: {}, rootCalls: {} }, api, schema);
    expect(ok.rules?.families[0]?.create).toEqual(["a"]);
  });
});

describe("balanceStage (pipeline stage)", () => {
  it("reports a one-driver patch against the base commit of a real git mirror", async () => {
    const { execFileSync } = await import("node:child_process");
    const { validateConfig } = await import("../../src/config/validate-config.js");
    const { silentLogger } = await import("../../src/log/logger.js");
    const { balanceStage } = await import("../../src/analysis/io/balance-stage.js");
    const git = (cwd: string, args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, encoding: "utf8" }).trim();
    const mirror = path.join(tmp, "mirror");
    const file = "drivers/foo/foo.c";
    const text = "static int foo_probe(struct platform_device *pdev)\n{\n\tp->irq = irq_of_parse_and_map(np, 0);\n\treturn 0;\n}\nstatic int foo_remove(struct platform_device *pdev)\n{\n\tirq_dispose_mapping(p->irq);\n\treturn 0;\n}\nstatic struct platform_driver foo_driver = { .probe = foo_probe, .remove = foo_remove };\n";
    await mkdir(path.join(mirror, "drivers/foo"), { recursive: true });
    await writeFile(path.join(mirror, file), text);
    git(mirror, ["init", "-q", "-b", "master"]);
    git(mirror, ["add", "."]);
    git(mirror, ["commit", "-q", "-m", "base"]);
    const base = git(mirror, ["rev-parse", "HEAD"]);
    // The mirror's checkout moves on after the base; the stage must read files at the base commit.
    await writeFile(path.join(mirror, file), text.replace("foo_remove(", "foo_remove2("));
    git(mirror, ["commit", "-q", "-am", "later"]);
    const applied = path.join(tmp, "wt");
    git(mirror, ["worktree", "add", "-q", "-b", "series", applied, base]);
    await writeFile(path.join(applied, file), text.replace("\tirq_dispose_mapping(p->irq);\n", ""));
    git(applied, ["commit", "-q", "-am", "foo: drop dispose"]);
    const diff = git(applied, ["format-patch", "--stdout", "-1"]);
    const cfg = validateConfig({});
    if (!cfg.ok) throw new Error(cfg.problems.join("; "));
    const revision = {} as Parameters<ReturnType<typeof balanceStage>["run"]>[0]["revision"];
    const { LocalGitMirror } = await import("../../src/kernel/io/local-git-mirror.js");
    const head = git(applied, ["rev-parse", "HEAD"]);
    const out = await balanceStage({ rules }).run({
      lineage: "l",
      revision,
      diffs: [diff],
      mirror: new LocalGitMirror({ path: mirror }),
      base,
      applied: { path: applied, head },
      facts: {},
      ignored: new Set(),
      config: {},
      stateDir: cfg.config.stateDir,
      log: silentLogger(),
    });
    expect(out?.section?.severity).toBe("problem");
    expect(out?.section?.body).toContain("- drivers/foo/foo.c: balanced -> never-disposes");
    expect(out?.section?.body).toContain("removed drivers/foo/foo.c:8 foo_remove()");
    expect(JSON.parse(JSON.stringify(out?.details))).toMatchObject({ changedFiles: [file], core: null, fanout: null });
    // Its own finding, at the line of the call (the create side: the dispose is gone), and the
    // classes of the touched units for the simulation.
    expect(out?.findings).toMatchObject([{ stage: "balance", kind: "new-imbalance", severity: "problem", summary: "drivers/foo/foo.c: balanced -> never-disposes", file, line: 3 }]);
    expect(out?.facts.touchedClasses).toEqual(["never-disposes"]);
  });
});
