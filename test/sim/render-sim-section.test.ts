import { describe, expect, it } from "vitest";
import { compareSemantics } from "../../src/sim/compare-semantics.js";
import { renderSimSection } from "../../src/sim/render-sim-section.js";
import { rules } from "./sim-helpers.js";

describe("renderSimSection", () => {
  it("says which scenarios fail before and after, with the worst shortest trace, in 72 columns", async () => {
    const rs = await rules();
    const c = compareSemantics(rs, "mainline", "refcount-v3", rs.scenarios, { evidence: ["refcount-v3: kernel/irq/irqdomain.c:661 (irq_create_mapping): +kobject_get(&desc->kobj);"] });
    const text = renderSimSection(c);
    const lines = text.split("\n");
    for (const l of lines) {
      expect(l.length).toBeLessThanOrEqual(72);
      expect(l).not.toMatch(/\s$/);
    }
    expect(text).toMatch(/Semantics before the patch: mainline; after:\s+refcount-v3/);
    expect(lines.find((l) => l.startsWith("rfc-2of2-shared-lsi"))).toMatch(/FAIL\s+clean$/);
    expect(lines.find((l) => l.startsWith("msi-free-bypass"))).toMatch(/clean\s+FAIL$/);
    expect(lines.find((l) => l.startsWith("create-twice-dispose-once"))).toMatch(/clean\s+FAIL$/);
    // After the patch, the worst violation is dispose-unowned's premature unmap.
    expect(text).toMatch(/Shortest trace of the worst violation \(premature-unmap,\s+dispose-unowned,\s+refcount-v3\):/);
    expect(text).toMatch(/^ {2}1\. /m);
  });

  it("says so when nothing fails", async () => {
    const rs = await rules();
    const sc = rs.scenarios.filter((s) => s.name === "rfc-2of2-shared-lsi");
    const text = renderSimSection(compareSemantics(rs, "ppc-kref", "refcount-v3", sc));
    expect(text).toMatch(/No violation under either semantics\./);
    expect(text).toMatch(/rfc-2of2-shared-lsi\s+clean\s+clean/);
  });
});
