import { describe, expect, it } from "vitest";
import { scenarioFromFindings } from "../../src/sim/scenario-from-findings.js";
import { simulate } from "../../src/sim/simulate.js";
import { rules } from "./sim-helpers.js";

describe("scenarioFromFindings", () => {
  it("turns analysis classes into actors and simulates them", async () => {
    const rs = await rules();
    const { scenario, ignored } = scenarioFromFindings(["shared-dispose", "library", "create-twice-dispose-once", "shared-dispose"], { known: Object.keys(rs.classes) });
    expect(ignored).toEqual(["library"]);
    expect(scenario!.devices.map((d) => `${d.name}:${d.class}:${d.line}`)).toEqual([
      "dev_create_twice_dispose_once:create-twice-dispose-once:intc0/1",
      "fn_shared_dispose:shared-dispose:phb0-intx/1",
    ]);
    const before = simulate({ rules: rs, semantics: "mainline", scenario: scenario! });
    const after = simulate({ rules: rs, semantics: "refcount-v3", scenario: scenario! });
    // After the premature unmap the second function's BUS_NOTIFY_DEL_DEVICE disposes the dead
    // virq (double-dispose) and its driver's remove frees a handler on it (dead-free).
    expect(before.violations.map((v) => v.property)).toEqual(["premature-unmap", "double-dispose", "dead-free"]);
    expect(after.violations.map((v) => v.property)).toEqual(["leak"]);
  });

  it("returns no scenario when nothing has a device behaviour", async () => {
    const rs = await rules();
    expect(scenarioFromFindings(["library"], { known: Object.keys(rs.classes) }).scenario).toBeNull();
  });
});
