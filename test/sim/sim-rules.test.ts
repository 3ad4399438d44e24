import { describe, expect, it } from "vitest";
import { simulate } from "../../src/sim/simulate.js";
import { validateSimRules } from "../../src/sim/validate-sim-rules.js";
import { loadSimSchemas } from "../../src/sim/io/load-sim-rules.js";
import { rules } from "./sim-helpers.js";

describe("rules/sim", () => {
  it("every scenario behaves as its `expect` says under each semantics", async () => {
    const rs = await rules();
    expect(rs.scenarios.length).toBeGreaterThanOrEqual(6);
    for (const sc of rs.scenarios) {
      for (const [sem, want] of Object.entries(sc.expect ?? {})) {
        const r = simulate({ rules: rs, semantics: sem, scenario: sc });
        expect({ scenario: sc.name, sem, got: r.violations.length ? "fail" : "clean" }).toEqual({ scenario: sc.name, sem, got: want });
      }
    }
  });

  // Every property each scenario reports. The explorer goes on past a violation, so what
  // follows a premature unmap is reported too: the holder left behind frees its handler on the
  // dead virq (dead-free) and disposes it again (double-dispose).
  const REPORTED: Record<string, Record<string, string[]>> = {
    "create-twice-dispose-once": { mainline: [], "ppc-kref": [], "refcount-v3": ["leak"] },
    "dispose-unowned": {
      mainline: ["premature-unmap", "double-dispose", "dead-free"],
      "ppc-kref": ["premature-unmap", "double-dispose", "dead-free"],
      "refcount-v3": ["premature-unmap", "double-dispose", "dead-free"],
    },
    "driver-never-disposes": { mainline: ["leak"], "ppc-kref": ["leak"], "refcount-v3": ["leak"] },
    "msi-free-bypass": { mainline: [], "ppc-kref": [], "refcount-v3": ["leak", "hierarchy"] },
    "pseries-lsi-never-disposed": { mainline: ["leak"], "ppc-kref": ["leak"], "refcount-v3": ["leak"] },
    "rfc-2of2-shared-lsi": { mainline: ["premature-unmap", "double-dispose", "dead-free"], "ppc-kref": [], "refcount-v3": [] },
    "shared-wired-balanced": {
      mainline: ["premature-unmap", "double-dispose", "dead-free"],
      "ppc-kref": ["premature-unmap", "double-dispose", "dead-free"],
      "refcount-v3": [],
    },
  };

  it("every scenario reports exactly the properties listed here, under each semantics", async () => {
    const rs = await rules();
    const got: Record<string, Record<string, string[]>> = {};
    for (const sc of rs.scenarios) {
      got[sc.name] = Object.fromEntries(rs.semantics.map((sem) => [sem.name, simulate({ rules: rs, semantics: sem.name, scenario: sc }).violations.map((v) => v.property)]));
    }
    expect(got).toEqual(REPORTED);
  });

  it("validation rejects unknown keys, bad patterns, unknown classes and domain loops", async () => {
    const schemas = await loadSimSchemas();
    const rs = await rules();
    const good = {
      semantics: rs.semantics.map((s) => ({ source: s.name, data: s })),
      topology: { source: "topology", data: rs.topology },
      actors: { source: "actors", data: { classes: rs.classes } },
      scenarios: rs.scenarios.map((s) => ({ source: s.name, data: s })),
    };
    expect(validateSimRules(good, schemas).ok).toBe(true);
    const badSem = { ...rs.semantics[0]!, detect: { require: [{ file: "kernel/irq/irqdomain.c", pattern: "(", means: "x" }] } };
    const badTopo = { virqBase: 17, domains: [{ name: "a", type: "hierarchy", parent: "b" }, { name: "b", type: "tree", parent: "a" }] };
    const badScenario = { name: "x", description: "", rounds: 1, devices: [{ name: "d", class: "no-such-class", line: "intc0/1" }] };
    const out = validateSimRules(
      {
        semantics: [{ source: "bad-sem", data: badSem }],
        topology: { source: "topo", data: badTopo },
        actors: { source: "actors", data: { classes: rs.classes, extra: 1 } },
        scenarios: [{ source: "bad-scn", data: badScenario }],
      },
      schemas,
    );
    expect(out.ok).toBe(false);
    const problems = out.ok ? [] : out.problems.join("\n");
    expect(problems).toMatch(/bad-sem: pattern "\(" does not compile/);
    expect(problems).toMatch(/topo: domain a: parent loop/);
    expect(problems).toMatch(/actors: \(top level\): unknown key "extra"/);
    expect(problems).toMatch(/bad-scn: device d: unknown class "no-such-class"/);
  });
});
