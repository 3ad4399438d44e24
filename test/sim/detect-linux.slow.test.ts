import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { detectSemantics } from "../../src/sim/detect-semantics.js";
import { loadSimRules } from "../../src/sim/io/load-sim-rules.js";
import { readSemanticsSources } from "../../src/sim/io/read-semantics-sources.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("semantics of the real Linux 6.1 tree", () => {
  it("is mainline, with the powerpc kref list present in arch/powerpc", async () => {
    // Idempotent: prints the mirror path, builds it once from linux-source-6.1 when absent.
    const mirror = execFileSync(path.join(repo, "scripts/make-linux-mirror.sh"), { encoding: "utf8" }).trim().split("\n").at(-1)!;
    const rules = await loadSimRules();
    const d = detectSemantics(await readSemanticsSources(mirror, rules.semantics), rules.semantics);
    expect(d.core).toBe("mainline");
    expect(d.overlays).toEqual(["ppc-kref"]);
    const where = d.evidence.map((e) => `${e.file}:${e.function}`);
    expect(where).toContain("kernel/irq/irqdomain.c:irq_dispose_mapping");
    expect(where).toContain("arch/powerpc/kernel/pci-common.c:pci_read_irq_line");
    expect(where).toContain("arch/powerpc/kernel/pci-common.c:ppc_pci_intx_release");
    expect(d.candidates.find((c) => c.semantics === "refcount-v3")?.matched).toBe(false);
  });
});
