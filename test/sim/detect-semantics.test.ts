import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applySemanticsChange, detectSemanticsChange } from "../../src/sim/detect-semantics-change.js";
import { detectSemantics, effectiveSemantics, functionBodies } from "../../src/sim/detect-semantics.js";
import { readSemanticsSources } from "../../src/sim/io/read-semantics-sources.js";
import { rules } from "./sim-helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpus = path.resolve(repo, "../shared/corpus/genirq-refcount-2020");
const haveCorpus = existsSync(corpus);

// A v3-like irqdomain.c written for this test (shapes of the 2020 patch's post-image).
const V3_IRQDOMAIN = `
unsigned int irq_create_mapping(struct irq_domain *domain,
				irq_hw_number_t hwirq)
{
	virq = irq_find_mapping(domain, hwirq);
	if (virq) {
		desc = irq_to_desc(virq);
		kobject_get(&desc->kobj);
		return virq;
	}
	return irq_create_mapping_new(domain, hwirq);
}
EXPORT_SYMBOL_GPL(irq_create_mapping);

void irq_dispose_mapping(unsigned int virq)
{
	struct irq_desc *desc = irq_to_desc(virq);

	if (!virq || !desc)
		return;
	kobject_put(&desc->kobj);
}
`;

const MAINLINE_IRQDOMAIN = `
void irq_dispose_mapping(unsigned int virq);

static void helper(void)
{
	kobject_put(&x->kobj);	/* not in irq_dispose_mapping: must not count */
}

void irq_dispose_mapping(unsigned int virq)
{
	if (irq_domain_is_hierarchy(domain)) {
		irq_domain_free_irqs(virq, 1);
	} else {
		irq_domain_disassociate(domain, virq);
		irq_free_desc(virq);
	}
}
`;
const MAINLINE_IRQDESC = "static void delayed_free_desc(struct rcu_head *rhp)\n{\n\tkobject_put(&desc->kobj);\n}\n";

describe("functionBodies", () => {
  it("finds definitions, skips prototypes and stops at the closing brace", () => {
    const b = functionBodies(MAINLINE_IRQDOMAIN, ["irq_dispose_mapping", "helper"]);
    expect(b.get("irq_dispose_mapping")?.lines[0]?.n).toBe(9);
    expect(b.get("irq_dispose_mapping")?.lines.at(-1)?.text).toBe("}");
    expect(b.get("helper")?.lines.map((l) => l.text).join("\n")).toContain("kobject_put");
  });
});

describe("detectSemantics", () => {
  it("a mainline-shaped kernel/irq is mainline, with evidence lines", async () => {
    const rs = await rules();
    const d = detectSemantics({ "kernel/irq/irqdomain.c": MAINLINE_IRQDOMAIN, "kernel/irq/irqdesc.c": MAINLINE_IRQDESC }, rs.semantics);
    expect(d.core).toBe("mainline");
    expect(d.overlays).toEqual([]);
    expect(d.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(["kernel/irq/irqdomain.c:12", "kernel/irq/irqdomain.c:14", "kernel/irq/irqdesc.c:3"]);
  });

  it("a tree patched like v3 (kobject_get in create, kobject_put in dispose) is refcount-v3", async () => {
    const rs = await rules();
    const d = detectSemantics({ "kernel/irq/irqdomain.c": V3_IRQDOMAIN, "kernel/irq/irqdesc.c": "" }, rs.semantics);
    expect(d.core).toBe("refcount-v3");
    expect(d.evidence.map((e) => [e.function, e.line])).toEqual([
      ["irq_create_mapping", 8],
      ["irq_dispose_mapping", 21],
    ]);
    expect(d.candidates.find((c) => c.semantics === "mainline")?.matched).toBe(false);
  });

  it("the project's demo tree (fixtures/kernel-tree) reads as mainline", async () => {
    const rs = await rules();
    const d = detectSemantics(await readSemanticsSources(path.join(repo, "fixtures/kernel-tree"), rs.semantics), rs.semantics);
    expect(d.core).toBe("mainline");
  });

  it("picks the ppc overlay only for scenarios with pcibios INTx lines", () => {
    expect(effectiveSemantics({ core: "mainline", overlays: ["ppc-kref"] }, true)).toBe("ppc-kref");
    expect(effectiveSemantics({ core: "mainline", overlays: ["ppc-kref"] }, false)).toBe("mainline");
    expect(effectiveSemantics({ core: null, overlays: [] }, true)).toBeNull();
  });
});

describe("detectSemanticsChange", () => {
  it("a synthetic diff adding kobject_get/put in the right functions introduces refcount-v3", async () => {
    const rs = await rules();
    const diff = [
      "diff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c",
      "--- a/kernel/irq/irqdomain.c",
      "+++ b/kernel/irq/irqdomain.c",
      "@@ -10,3 +10,4 @@ unsigned int irq_create_mapping(struct irq_domain *domain,",
      " \tif (virq) {",
      "+\t\tkobject_get(&desc->kobj);",
      " \t\treturn virq;",
      "@@ -40,5 +41,2 @@ EXPORT_SYMBOL_GPL(irq_create_mapping);",
      " void irq_dispose_mapping(unsigned int virq)",
      " {",
      "-\tirq_domain_disassociate(domain, virq);",
      "+\tkobject_put(&desc->kobj);",
      " }",
    ].join("\n");
    const ch = detectSemanticsChange(diff, rs.semantics);
    expect(ch.core).toBe("refcount-v3");
    expect(ch.evidence.map((e) => `${e.function}:${e.line}`)).toEqual(["irq_create_mapping:11", "irq_dispose_mapping:43"]);
    expect(applySemanticsChange({ core: "mainline", overlays: ["ppc-kref"] }, ch)).toEqual({ core: "refcount-v3", overlays: ["ppc-kref"] });
  });

  it("kobject_put added outside irq_dispose_mapping does not count", async () => {
    const rs = await rules();
    const diff = "--- a/kernel/irq/irqdomain.c\n+++ b/kernel/irq/irqdomain.c\n@@ -1,2 +1,3 @@ static void other(void)\n {\n+\tkobject_put(&d->kobj);\n+\tkobject_get(&d->kobj);\n }\n";
    expect(detectSemanticsChange(diff, rs.semantics).core).toBeNull();
  });
});

describe.runIf(haveCorpus)("corpus: the 2020 v3 patch (../shared)", () => {
  it("its diff turns the base semantics into refcount-v3, RFC 2/2 changes no core semantics", async () => {
    const rs = await rules();
    const v3 = await readFile(path.join(corpus, "10_v3_patch_20201109094646.71565-1-aik.eml"), "utf8");
    const ch = detectSemanticsChange(v3, rs.semantics);
    expect(ch.core).toBe("refcount-v3");
    expect(ch.evidence.filter((e) => e.function === "irq_create_fwspec_mapping")).toHaveLength(2);
    expect(ch.evidence.find((e) => e.function === "irq_dispose_mapping")?.text).toBe("+kobject_put(&desc->kobj);");
    const rfc2 = await readFile(path.join(corpus, "02_rfc_2of2_20201027090655.14118-3-aik.eml"), "utf8");
    expect(detectSemanticsChange(rfc2, rs.semantics).core).toBeNull();
  });
});

if (!haveCorpus) console.warn("skipped: ../shared absent, corpus detection tests not run");
