import { describe, expect, it } from "vitest";
import { buildSharedLsi } from "../../src/sim/build-shared-lsi.js";
import { compileScenario } from "../../src/sim/compile-scenario.js";
import { findSemantics, simulate } from "../../src/sim/simulate.js";
import { KIND_PLUG, KIND_PROBE_FAIL, KIND_PROBE_OK, KIND_UNPLUG, SimMachine, type Recorder } from "../../src/sim/sim-machine.js";
import type { ScenarioSpec } from "../../src/sim/sim-types.js";
import { rules } from "./sim-helpers.js";

async function machine(semantics: string, scenario: ScenarioSpec): Promise<SimMachine> {
  const rs = await rules();
  return new SimMachine(compileScenario(scenario, findSemantics(rs, semantics), rs.topology, rs.classes));
}

function step(m: SimMachine, s: Int32Array, dev: string, kind: number): Recorder {
  const i = m.model.devices.findIndex((d) => d.name === dev);
  const rec: Recorder = { ops: [], notes: [] };
  m.apply(s, i, kind, rec);
  return rec;
}

const twoLines: ScenarioSpec = {
  name: "two-lines",
  description: "",
  rounds: 1,
  devices: [
    { name: "dev1", class: "shared-dispose", line: "phb0-intx/1" },
    { name: "dev2", class: "shared-dispose", line: "phb0-intx/1" },
    { name: "dev3", class: "shared-dispose", line: "phb0-intx/2" },
  ],
};

describe("SimMachine", () => {
  it("hands out the lowest free virq, so a stale dispose hits a reused number (mainline)", async () => {
    const m = await machine("mainline", twoLines);
    const s = m.initial();
    expect(step(m, s, "dev1", KIND_PLUG).ops.join()).toMatch(/-> virq 17 \(new\)/);
    expect(step(m, s, "dev2", KIND_PLUG).ops.join()).toMatch(/-> virq 17 \(existing, no side effect\)/);
    const r3 = step(m, s, "dev1", KIND_UNPLUG);
    expect(r3.notes.map((n) => n.property)).toEqual(["premature-unmap"]);
    // virq 17 is free again: the other line gets the same number.
    expect(step(m, s, "dev3", KIND_PLUG).ops.join()).toMatch(/irq_create_mapping\(phb0-intx, 2\) -> virq 17 \(new\)/);
    const r5 = step(m, s, "dev2", KIND_UNPLUG);
    const props = r5.notes.map((n) => n.property);
    expect(props).toContain("double-dispose");
    expect(r5.notes.find((n) => n.property === "double-dispose")?.text).toMatch(/stale virq 17 was reused, now maps \(phb0-intx, 2\)/);
    // ...and destroys dev3's mapping under it.
    expect(r5.notes.find((n) => n.property === "premature-unmap")?.text).toMatch(/dev3 still uses virq 17/);
  });

  // Found by the spin cross-check (rules/sim/promela/shared-lsi.pml): request_irq through a
  // stale number used to make the device a holder of whatever mapping now has that number.
  it("request_irq through a stale, reused number does not make the reused mapping the device's own", async () => {
    const m = await machine("mainline", twoLines);
    const s = m.initial();
    step(m, s, "dev1", KIND_PLUG);
    step(m, s, "dev2", KIND_PLUG);
    step(m, s, "dev1", KIND_UNPLUG); // tears 17 down under dev2
    expect(step(m, s, "dev3", KIND_PLUG).ops.join()).toMatch(/irq_create_mapping\(phb0-intx, 2\) -> virq 17 \(new\)/);
    // dev2's probe requests 17 (now line 2's mapping), then fails: its handler is freed again.
    const probe = step(m, s, "dev2", KIND_PROBE_FAIL);
    expect(probe.notes.map((n) => n.property)).toEqual(["premature-unmap"]);
    expect(probe.ops.join("; ")).toMatch(/request_irq\(17, IRQF_SHARED\) -> 1 handler.*free_irq\(17\)/);
    const snapshot = Int32Array.from(s);
    // dev3's BUS_NOTIFY_DEL_DEVICE tears line 2's mapping down: dev2 neither holds it nor has a
    // handler on it, so it is no victim.
    expect(step(m, s, "dev3", KIND_UNPLUG).notes).toEqual([]);
    // The other order: dev2's dispose of its stale number is a stale dispose (the number now maps
    // line 2, whose user dev3 is hit), whatever dev2 did with it in between.
    s.set(snapshot);
    const dd = step(m, s, "dev2", KIND_UNPLUG);
    expect(dd.notes.map((n) => n.property)).toEqual(["double-dispose", "premature-unmap"]);
    expect(dd.notes[1]?.text).toMatch(/dev3 still uses virq 17/);
  });

  it("a handler requested through a stale number sits on the reused descriptor: its teardown hits it, free_irq finds it", async () => {
    const m = await machine("mainline", twoLines);
    const s = m.initial();
    step(m, s, "dev1", KIND_PLUG);
    step(m, s, "dev2", KIND_PLUG);
    step(m, s, "dev1", KIND_UNPLUG);
    step(m, s, "dev3", KIND_PLUG);
    step(m, s, "dev2", KIND_PROBE_OK); // handler on line 2's descriptor 17
    const snapshot = Int32Array.from(s);
    const t = step(m, s, "dev3", KIND_UNPLUG);
    expect(t.notes.map((n) => `${n.property}: ${n.text}`)).toEqual(["premature-unmap: dev2 still uses virq 17, torn down under them"]);
    // Removing dev2 first: free_irq finds its handler (no dead-free); the dispose is stale.
    s.set(snapshot);
    const r = step(m, s, "dev2", KIND_UNPLUG);
    expect(r.notes.map((n) => n.property)).toEqual(["double-dispose", "premature-unmap"]);
  });

  it("ppc kref list: the last BUS_NOTIFY_DEL_DEVICE disposes, earlier ones only drop the kref", async () => {
    const m = await machine("ppc-kref", twoLines);
    const s = m.initial();
    step(m, s, "dev1", KIND_PLUG);
    expect(step(m, s, "dev2", KIND_PLUG).ops.join()).toMatch(/kref_get -> kref 2/);
    expect(step(m, s, "dev2", KIND_PROBE_OK).ops.join()).toMatch(/request_irq\(17, IRQF_SHARED\) -> 1 handler/);
    const r = step(m, s, "dev1", KIND_UNPLUG);
    expect(r.ops.join()).toMatch(/kref_put -> kref 1/);
    expect(r.notes).toEqual([]);
    const last = step(m, s, "dev2", KIND_UNPLUG);
    expect(last.ops.join("; ")).toMatch(/free_irq\(17\); intx_list entry for virq 17: kref_put -> kref 0; ppc_pci_intx_release: irq_dispose_mapping\(17\)/);
    expect(last.notes).toEqual([]);
    expect(m.allOut(s)).toBe(true);
    expect(m.leftovers(s)).toBe(false);
  });

  it("refcount-v3: create on an existing mapping takes a reference, teardown at zero", async () => {
    const m = await machine("refcount-v3", twoLines);
    const s = m.initial();
    step(m, s, "dev1", KIND_PLUG);
    expect(step(m, s, "dev2", KIND_PLUG).ops.join()).toMatch(/kobject_get: ref 2/);
    expect(step(m, s, "dev1", KIND_UNPLUG).ops.join()).toMatch(/kobject_put -> ref 1/);
    expect(step(m, s, "dev2", KIND_UNPLUG).ops.join()).toMatch(/kobject_put -> ref 0, irq_kobj_release: .*destroyed/);
    expect(m.leftovers(s)).toBe(false);
  });

  it("exclusive handlers: a second request_irq on an MSI vector fails with -EBUSY", async () => {
    const m = await machine("mainline", {
      name: "x",
      description: "",
      rounds: 1,
      devices: [{ name: "nvme", class: "msi-balanced", line: "pci-msi/0x800" }],
    });
    const s = m.initial();
    step(m, s, "nvme", KIND_PLUG);
    expect(step(m, s, "nvme", KIND_PROBE_OK).ops.join("; ")).toMatch(/request_irq\(17\) -> 1 handler/);
  });

  it("is deterministic: the same input gives the same states and traces", async () => {
    const rs = await rules();
    const a = simulate({ rules: rs, semantics: "mainline", scenario: twoLines }, { now: () => 0 });
    const b = simulate({ rules: rs, semantics: "mainline", scenario: twoLines }, { now: () => 0 });
    expect(a).toEqual(b);
    expect(a.violations.length).toBeGreaterThan(0);
  });

  it("explores past a violation: the stale dispose and free_irq after a premature unmap are reported too", async () => {
    const rs = await rules();
    const sc = rs.scenarios.find((x) => x.name === "rfc-2of2-shared-lsi")!;
    const r = simulate({ rules: rs, semantics: "mainline", scenario: sc });
    expect(r.violations.map((v) => v.property)).toEqual(["premature-unmap", "double-dispose", "dead-free"]);
    expect(r.afterViolation).toBeGreaterThan(0);
    const dd = r.violations.find((v) => v.property === "double-dispose")!.trace;
    // dev1 plug, dev2 plug, dev1 unplug (the premature unmap, said on its step), dev2 unplug.
    expect(dd).toHaveLength(4);
    expect(dd[2]).toMatch(/dev1 unplug: .*irq_dispose_mapping\(17\).*destroyed => premature-unmap: dev2 still uses virq 17/);
    expect(dd[3]).toMatch(/dev2 unplug: irq_dispose_mapping\(17\) => double-dispose: irq_dispose_mapping\(17\): virq 17 is not mapped any more/);
  });

  it("mainline, two balanced drivers on one shared LSI: the second remove hits a dead virq (double-dispose, dead-free)", async () => {
    const rs = await rules();
    const sc = buildSharedLsi({ devices: 2, lines: 1, rounds: 1, driver: "balanced" }, rs.topology);
    const r = simulate({ rules: rs, semantics: "mainline", scenario: sc });
    expect(r.violations.map((v) => v.property)).toEqual(["premature-unmap", "double-dispose", "dead-free"]);
    const dd = r.violations.find((v) => v.property === "double-dispose")!.trace;
    // Shortest: dev1 probes; dev2's probe fails after the create, and its error path disposes
    // the shared mapping under dev1 (premature unmap, step 4); dev1's remove then frees a
    // handler on and disposes a dead virq (step 5).
    expect(dd).toHaveLength(5);
    expect(dd[3]).toMatch(/^4\. dev2 probe \(fails after op 1\): .*error path: irq_dispose_mapping\(17\): .*destroyed => premature-unmap: dev1 still uses virq 17/);
    expect(dd[4]).toMatch(/^5\. dev1 unplug: free_irq\(17\); irq_dispose_mapping\(17\) => double-dispose: .*virq 17 is not mapped any more/);
    const df = r.violations.find((v) => v.property === "dead-free")!.trace;
    expect(df.at(-1)).toMatch(/=> dead-free: free_irq\(17\): the descriptor of virq 17 is gone/);
    // Under refcount-v3 the same drivers are clean: the first dispose only drops a reference.
    expect(simulate({ rules: rs, semantics: "refcount-v3", scenario: sc }).violations).toEqual([]);
  });

  it("bounds states: maxStates stops the exploration and says so", async () => {
    const rs = await rules();
    const r = simulate({ rules: rs, semantics: "mainline", scenario: { ...twoLines, rounds: 3 } }, { maxStates: 50, symmetry: false });
    expect(r.truncated).toBe(true);
    expect(r.states).toBe(50);
  });
});
