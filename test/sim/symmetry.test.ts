import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildSharedLsi } from "../../src/sim/build-shared-lsi.js";
import { compileScenario } from "../../src/sim/compile-scenario.js";
import { findSemantics, simulate } from "../../src/sim/simulate.js";
import type { ScenarioSpec } from "../../src/sim/sim-types.js";
import { rules } from "./sim-helpers.js";

// Classes with the lines they can sit on (INTx classes behind the PHB, wired ones on an
// irqchip, MSI ones on the PCI-MSI hierarchy).
const PLACES: Array<{ cls: string; lines: string[] }> = [
  { cls: "shared-dispose", lines: ["phb0-intx/1", "phb0-intx/2"] },
  { cls: "pcibios-never-disposes", lines: ["phb0-intx/1", "phb0-intx/2"] },
  { cls: "balanced", lines: ["intc0/3", "phb0-intx/1"] },
  { cls: "never-disposes", lines: ["intc0/3", "intc0/4"] },
  { cls: "error-path-only", lines: ["intc0/3"] },
  { cls: "create-twice-dispose-once", lines: ["intc0/3", "intc0/4"] },
  { cls: "dispose-unowned", lines: ["intc0/3", "phb0-intx/1"] },
  { cls: "msi-balanced", lines: ["pci-msi/0x800", "pci-msi/0x801"] },
];

const deviceArb = fc.record({
  place: fc.integer({ min: 0, max: PLACES.length - 1 }),
  line: fc.integer({ min: 0, max: 1 }),
  count: fc.integer({ min: 1, max: 3 }),
});

const scenarioArb = fc.record({
  devices: fc.array(deviceArb, { minLength: 1, maxLength: 3 }),
  rounds: fc.integer({ min: 1, max: 2 }),
  semantics: fc.constantFrom("mainline", "refcount-v3", "ppc-kref"),
  exact: fc.boolean(),
});

// Small enough for plain exploration: at most 4 devices, and 2 plug rounds only up to 3.
function toScenario(x: { devices: Array<{ place: number; line: number; count: number }>; rounds: number }): ScenarioSpec {
  let total = 0;
  const devices: ScenarioSpec["devices"] = [];
  x.devices.forEach((d, i) => {
    const count = Math.min(d.count, 4 - total);
    if (count < 1) return;
    total += count;
    const p = PLACES[d.place]!;
    devices.push({ name: `d${i}x`, count, class: p.cls, line: p.lines[d.line % p.lines.length]! });
  });
  return { name: "random", description: "random", rounds: total > 3 ? 1 : x.rounds, devices };
}

describe("counting abstraction", () => {
  it("gives the same verdicts and the same shortest trace lengths as plain exploration", async () => {
    const rs = await rules();
    let reduced = 0;
    fc.assert(
      fc.property(scenarioArb, (x) => {
        const scenario = toScenario(x);
        const opts = { exact: x.exact };
        const plain = simulate({ rules: rs, semantics: x.semantics, scenario }, { ...opts, symmetry: false });
        const sym = simulate({ rules: rs, semantics: x.semantics, scenario }, { ...opts, symmetry: true });
        expect(plain.truncated).toBe(false);
        expect(sym.violations.map((v) => v.property)).toEqual(plain.violations.map((v) => v.property));
        // BFS depth is invariant under the reduction, so shortest traces have equal length.
        expect(sym.violations.map((v) => v.trace.length)).toEqual(plain.violations.map((v) => v.trace.length));
        expect(sym.states).toBeLessThanOrEqual(plain.states);
        if (sym.states < plain.states) reduced++;
      }),
      { numRuns: 40, seed: 4242 },
    );
    // The generator does produce interchangeable devices, so the reduction must have bitten.
    expect(reduced).toBeGreaterThan(4);
  });

  it("renames interchangeable lines: same verdicts and shortest traces, about half the states", async () => {
    const rs = await rules();
    const compiled = (devices: number, lines: number, driver: string): ReturnType<typeof compileScenario> =>
      compileScenario(buildSharedLsi({ devices, lines, rounds: 2, driver }, rs.topology), findSemantics(rs, "mainline"), rs.topology, rs.classes);
    // 4 devices on 2 lines: 2 + 2, one renaming (swap); 3 devices: 2 + 1, none; 4 lines of one
    // device each: 24 renamings, more than the explorer takes.
    expect(compiled(4, 2, "balanced").lineSymmetries.map((x) => x.lines)).toEqual([[1, 0]]);
    expect(compiled(3, 2, "balanced").lineSymmetries).toEqual([]);
    expect(compiled(4, 4, "balanced").lineSymmetries).toEqual([]);
    expect(compiled(3, 3, "balanced").lineSymmetries).toHaveLength(5);
    for (const [devices, lines, rounds, driver, semantics] of [
      [4, 2, 2, "shared-dispose", "mainline"],
      [4, 2, 2, "balanced", "mainline"],
      [4, 2, 2, "never-disposes", "mainline"],
      [2, 2, 2, "never-disposes", "refcount-v3"],
      [3, 3, 1, "shared-dispose", "mainline"],
      [6, 2, 2, "shared-dispose", "ppc-kref"],
    ] as const) {
      const scenario = buildSharedLsi({ devices, lines, rounds, driver }, rs.topology);
      const plain = simulate({ rules: rs, semantics, scenario }, { symmetry: false });
      const sym = simulate({ rules: rs, semantics, scenario }, { symmetry: true });
      const what = `${devices} ${driver} devices on ${lines} lines, ${semantics}`;
      expect({ what, v: sym.violations.map((v) => `${v.property}:${v.trace.length}`) }).toEqual({ what, v: plain.violations.map((v) => `${v.property}:${v.trace.length}`) });
      expect(sym.states).toBeLessThan(plain.states);
    }
    // 10 devices on 2 lines: the renaming halves what the device sorting leaves.
    const ten = buildSharedLsi({ devices: 10, lines: 2, rounds: 2, driver: "shared-dispose" }, rs.topology);
    expect(simulate({ rules: rs, semantics: "ppc-kref", scenario: ten }).states).toBe(212_793);
  });

  it("reduces 6 interchangeable devices on 2 lines by more than 10x", async () => {
    const rs = await rules();
    const scenario: ScenarioSpec = {
      name: "six",
      description: "six",
      rounds: 1,
      devices: [
        { name: "a", count: 3, class: "shared-dispose", line: "phb0-intx/1" },
        { name: "b", count: 3, class: "shared-dispose", line: "phb0-intx/2" },
      ],
    };
    const plain = simulate({ rules: rs, semantics: "ppc-kref", scenario }, { symmetry: false });
    const sym = simulate({ rules: rs, semantics: "ppc-kref", scenario }, { symmetry: true });
    expect(plain.states / sym.states).toBeGreaterThan(10);
    expect(sym.violations).toEqual(plain.violations);
  });
});
