import { describe, expect, it } from "vitest";
import { buildSharedLsi } from "../../src/sim/build-shared-lsi.js";
import { simulate } from "../../src/sim/simulate.js";
import { rules, scenario } from "./sim-helpers.js";

// The acceptance bullets of issue 4, one test each.
describe("issue 4 acceptance", () => {
  it("mainline + RFC 2/2 per-device dispose of a shared LSI: premature unmap, trace <= 6 steps", async () => {
    const r = simulate({ rules: await rules(), semantics: "mainline", scenario: await scenario("rfc-2of2-shared-lsi") });
    const v = r.violations.find((x) => x.property === "premature-unmap");
    expect(v).toBeDefined();
    expect(v!.trace.length).toBeLessThanOrEqual(6);
    expect(v!.trace[0]).toMatch(/^1\. dev1 plug: .*irq_create_mapping\(phb0-intx, 1\) -> virq 17/);
    const last = v!.trace[v!.trace.length - 1]!;
    expect(last).toMatch(/irq_dispose_mapping\(17\).*destroyed => premature-unmap: dev2 still uses virq 17/);
  });

  it("same scenario under refcount-v3: clean", async () => {
    const r = simulate({ rules: await rules(), semantics: "refcount-v3", scenario: await scenario("rfc-2of2-shared-lsi") });
    expect(r.states).toBeGreaterThan(3);
    expect(r.violations).toEqual([]);
  });

  it("refcount-v3 with a driver that maps in probe and never disposes: leak after unplug", async () => {
    const rs = await rules();
    const sc = buildSharedLsi({ devices: 2, lines: 1, rounds: 1, driver: "never-disposes" }, rs.topology);
    const r = simulate({ rules: rs, semantics: "refcount-v3", scenario: sc });
    const leak = r.violations.find((x) => x.property === "leak");
    expect(leak).toBeDefined();
    expect(leak!.trace.some((s) => /irq_of_parse_and_map\(phb0-intx, 1\)/.test(s))).toBe(true);
    expect(leak!.trace.some((s) => /unplug/.test(s))).toBe(true);
    expect(leak!.trace[leak!.trace.length - 1]).toMatch(/after every device is gone: mapping \(phb0-intx, 1\) -> virq 17 survives, ref \d/);
    expect(r.violations.map((v) => v.property)).not.toContain("premature-unmap");
  });

  it("the powerpc kref list: clean for shared LSIs (3 devices, 2 lines, 2 plug rounds)", async () => {
    const rs = await rules();
    const sc = buildSharedLsi({ devices: 3, lines: 2, rounds: 2, driver: "shared-dispose" }, rs.topology);
    const clean = simulate({ rules: rs, semantics: "ppc-kref", scenario: sc });
    expect(clean.states).toBeGreaterThan(100);
    expect(clean.violations).toEqual([]);
    // ...and the same devices under mainline are not: the list is what makes it clean.
    const main = simulate({ rules: rs, semantics: "mainline", scenario: sc });
    expect(main.violations.map((v) => v.property)).toContain("premature-unmap");
  });

  it("refcount-v3 with a hierarchical MSI domain torn down by the MSI free path: the bypass is found", async () => {
    const rs = await rules();
    const sc = await scenario("msi-free-bypass");
    const r = simulate({ rules: rs, semantics: "refcount-v3", scenario: sc });
    const h = r.violations.find((x) => x.property === "hierarchy");
    expect(h).toBeDefined();
    const text = h!.trace.join("\n");
    expect(text).toMatch(/irq_domain_alloc_irqs\(pci-msi\) -> virq 17: pci-msi 0x800 -> its 0x2800 -> gic 0x2800/);
    expect(text).toMatch(/irq_domain_free_irqs\(17, 1\).*irq_free_descs\(17\) -> free_desc\(\) without kobject_put/);
    expect(text).toMatch(/bypasses the count/);
    expect(r.violations.find((x) => x.property === "leak")?.trace.at(-1)).toMatch(/descriptor\(s\) of freed MSI virqs never released/);
    // Mainline frees the descriptor on that path: clean.
    expect(simulate({ rules: rs, semantics: "mainline", scenario: sc }).violations).toEqual([]);
  });
});
