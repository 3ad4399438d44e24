import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { diffFiles } from "../../src/patch/extract-patch.js";
import { judgeFiles, judgePatchRelevance, judgeRelevance } from "../../src/patch/judge-relevance.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import type { RelevanceRules } from "../../src/patch/relevance-rules.js";
import { repoRoot } from "../mail/series-helpers.js";

function fileDiff(file: string, removed: string[], added: string[], oldFile = file): string {
  return [
    `diff --git a/${oldFile} b/${file}`,
    `--- a/${oldFile}`,
    `+++ b/${file}`,
    `@@ -1,${removed.length + 1} +1,${added.length + 1} @@`,
    " ctx",
    ...removed.map((l) => `-${l}`),
    ...added.map((l) => `+${l}`),
    "",
  ].join("\n");
}

describe("relevance rules", () => {
  let rules: RelevanceRules;
  let tmp: string;
  beforeAll(async () => {
    rules = await loadRelevanceRules(path.join(repoRoot, "rules"));
    tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-rel-"));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("reads the API list from rules/mapping-api.yaml (not duplicated)", () => {
    expect(rules.api.get("irq_create_mapping")).toBe("create");
    expect(rules.api.get("irq_dispose_mapping")).toBe("release");
    expect(rules.api.get("irq_find_mapping")).toBe("related");
  });

  it("path globs: kernel/irq/**, include/linux/irq*.h, irqdomain*.h, drivers/irqchip/**, arch/*/kernel/irq*.c, drivers/pci/msi/**", () => {
    for (const p of ["kernel/irq/manage.c", "include/linux/irqdesc.h", "include/linux/irqdomain_defs.h", "drivers/irqchip/irq-gic-v3-its.c", "arch/x86/kernel/irq.c", "arch/arm64/kernel/irq.c", "drivers/pci/msi/irqdomain.c"]) {
      expect(judgeFiles(diffFiles(fileDiff(p, [], ["int x;"])), rules), p).toEqual([`touches ${p}`]);
    }
    expect(judgeFiles(diffFiles(fileDiff("drivers/net/foo.c", [], ["int x;"])), rules)).toEqual([]);
  });

  it("a rename out of kernel/irq/ still touches it (old path counts)", () => {
    expect(judgeFiles(diffFiles(fileDiff("lib/moved.c", ["a"], ["b"], "kernel/irq/old.c")), rules)).toEqual(["touches lib/moved.c"]);
  });

  it("content: adds/removes/changes calls anywhere in code; comments and Documentation do not count", () => {
    const files = diffFiles(
      fileDiff("drivers/net/eth.c", ["\tirq_dispose_mapping(priv->irq);", "\t/* irq_create_mapping() was here */"], ["\tpriv->irq = irq_create_mapping(d, 3);", " * irq_dispose_mapping() is called by the core", "\tx = irq_find_mapping (d, 1);"]) +
        fileDiff("drivers/gpio/g.c", ["\tv = irq_find_mapping(d, 1);"], ["\tv = irq_find_mapping(d, 2);"]) +
        fileDiff("Documentation/core-api/irq.rst", [], ["call irq_create_mapping() first"]) +
        fileDiff("drivers/x/my_irq_dispose_mapping_helper.c", [], ["\tmy_irq_dispose_mapping(1);"]),
    );
    expect(judgeFiles(files, rules)).toEqual([
      "adds irq_create_mapping() in drivers/net/eth.c",
      "removes irq_dispose_mapping() in drivers/net/eth.c",
      "adds irq_find_mapping() in drivers/net/eth.c",
      "changes calls of irq_find_mapping() in drivers/gpio/g.c",
    ]);
  });

  it("subject prefixes match as globs, case-insensitively", () => {
    const judge = (title: string) => judgePatchRelevance({ index: 1, subject: { title }, patch: null }, rules);
    expect(judge("genirq/irqdomain: x").reasons).toEqual(["subject prefix genirq/irqdomain"]);
    expect(judge("irqchip/gic-v3: x").reasons).toEqual(["subject prefix irqchip/gic-v3"]);
    expect(judge("PCI/MSI: x").reasons).toEqual(["subject prefix PCI/MSI"]);
    expect(judge("net: x").relevant).toBe(false);
    expect(judge("no prefix at all").relevant).toBe(false);
  });

  it("a revision verdict collects its patches' reasons once each", () => {
    const files = diffFiles(fileDiff("kernel/irq/irqdomain.c", [], ["int x;"]));
    const v = judgeRelevance(
      {
        cover: { subject: { title: "genirq: series" } },
        patches: [
          { index: 1, subject: { title: "genirq: one" }, patch: { files } },
          { index: 2, subject: { title: "genirq: two" }, patch: { files } },
        ],
      },
      rules,
    );
    expect(v).toEqual({ relevant: true, reasons: ["subject prefix genirq", "touches kernel/irq/irqdomain.c"] });
  });

  it("rejects rules that do not match the schema, listing the problems", async () => {
    const dir = path.join(tmp, "bad");
    cpSync(path.join(repoRoot, "rules"), dir, { recursive: true });
    writeFileSync(path.join(dir, "relevance.yaml"), "paths: kernel/irq/**\nsubjectPrefixes: []\ncontent:\n  apiFile: mapping-api.yaml\n  families: [irq-mapping]\n  kinds: [create, destroy]\n  files: ['**/*.c']\n");
    const err = await loadRelevanceRules(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join("\n")).toMatch(/\/paths must be array/);
    expect((err as ConfigError).problems.join("\n")).toMatch(/\/content\/kinds\/1 must be equal to one of the allowed values/);
  });

  it("rejects a family name the API file does not have", async () => {
    const dir = path.join(tmp, "fam");
    cpSync(path.join(repoRoot, "rules"), dir, { recursive: true });
    writeFileSync(path.join(dir, "relevance.yaml"), "paths: []\nsubjectPrefixes: []\ncontent:\n  apiFile: mapping-api.yaml\n  families: [no-such-family]\n  kinds: [create]\n  files: ['**/*.c']\n");
    await expect(loadRelevanceRules(dir)).rejects.toThrow(/names families not in/);
  });
});
