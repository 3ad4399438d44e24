import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { simSection, type SimConfig } from "../../src/config/sections/sim.js";
import { simulatePatch } from "../../src/sim/simulate-patch.js";
import { readSemanticsSources } from "../../src/sim/io/read-semantics-sources.js";
import { rules } from "./sim-helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpus = path.resolve(repo, "../shared/corpus/genirq-refcount-2020");

function config(over: Partial<SimConfig> = {}): SimConfig {
  const p = simSection.properties;
  return {
    enabled: p.enabled.default,
    semantics: p.semantics.default,
    patchedSemantics: p.patchedSemantics.default,
    scenarios: ["rfc-2of2-shared-lsi", "msi-free-bypass"],
    sharedLsi: { devices: 3, lines: 2, rounds: 1, driver: "shared-dispose" },
    symmetry: true,
    maxStates: 1_000_000,
    threads: 1,
    ...over,
  };
}

describe("simulatePatch", () => {
  it("forced semantics: mainline before, refcount-v3 after", async () => {
    const out = simulatePatch({ rules: await rules(), config: config({ semantics: "mainline", patchedSemantics: "refcount-v3" }), baseFiles: null, patchedFiles: null, diff: null });
    expect(out.basis).toMatchObject({ base: "mainline", patched: "refcount-v3" });
    expect(out.changed).toBe(true);
    expect(out.comparison.rows.map((r) => r.scenario)).toEqual(["msi-free-bypass", "rfc-2of2-shared-lsi", "shared-lsi"]);
    expect(out.section).toMatch(/msi-free-bypass\s+clean\s+FAIL/);
  });

  it("adds a scenario built from the analysis' balance classes", async () => {
    const out = simulatePatch({
      rules: await rules(),
      config: config({ semantics: "mainline", patchedSemantics: "refcount-v3", scenarios: ["msi-free-bypass"] }),
      baseFiles: null,
      patchedFiles: null,
      diff: null,
      analysisClasses: ["never-disposes", "library"],
    });
    const row = out.comparison.rows.find((r) => r.scenario === "from-analysis");
    expect(row?.before.violations.map((v) => v.property)).toEqual(["leak"]);
    expect(out.section).toMatch(/from-analysis\s+FAIL\s+FAIL/);
  });

  it("a diff that changes nothing in kernel/irq keeps the base semantics", async () => {
    const rs = await rules();
    const baseFiles = await readSemanticsSources(path.join(repo, "fixtures/kernel-tree"), rs.semantics);
    const out = simulatePatch({ rules: rs, config: config(), baseFiles, patchedFiles: null, diff: "--- a/drivers/x.c\n+++ b/drivers/x.c\n@@ -1 +1,2 @@\n int x;\n+int y;\n" });
    expect(out.basis.base).toBe("mainline");
    expect(out.basis.patched).toBe("mainline");
    expect(out.changed).toBe(false);
  });
});

describe.runIf(existsSync(corpus))("simulatePatch on the corpus v3 patch (../shared)", () => {
  it("detects refcount-v3 from the diff alone and quotes the evidence", async () => {
    const rs = await rules();
    const baseFiles = await readSemanticsSources(path.join(repo, "fixtures/kernel-tree"), rs.semantics);
    const diff = await readFile(path.join(corpus, "10_v3_patch_20201109094646.71565-1-aik.eml"), "utf8");
    const out = simulatePatch({ rules: rs, config: config(), baseFiles, patchedFiles: null, diff });
    expect(out.basis).toMatchObject({ base: "mainline", patched: "refcount-v3" });
    expect(out.section).toMatch(/kobject_get/);
    expect(out.section).toMatch(/rfc-2of2-shared-lsi\s+FAIL\s+clean/);
  });
});
