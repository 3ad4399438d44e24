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
