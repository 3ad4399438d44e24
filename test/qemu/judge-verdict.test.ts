import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseGuestLine, type GuestReport } from "../../src/qemu/guest-report.js";
import { findComplaints, judgeVerdict, logExcerpt } from "../../src/qemu/judge-verdict.js";
import type { QemuCheckResult } from "../../src/qemu/qemu-check-result.js";

const fixtures = path.join(import.meta.dirname, "..", "..", "fixtures", "qemu");

function load(name: string): { lines: string[]; reports: GuestReport[]; result: QemuCheckResult } {
  const lines = readFileSync(path.join(fixtures, `${name}.console.log`), "utf8").split("\n");
  const reports: GuestReport[] = [];
  for (const l of lines) {
    const p = parseGuestLine(l);
    if (p?.kind === "report") reports.push(p.report);
  }
  const result = JSON.parse(readFileSync(path.join(fixtures, `${name}.result.json`), "utf8")) as QemuCheckResult;
  return { lines, reports, result };
}

describe("verdicts over recorded guest logs (fixtures/qemu, captured from real runs)", () => {
  it("Debian kernel, msi-hotplug: back to baseline after each unplug -> pass", () => {
    const { lines, reports, result } = load("debian-msi-hotplug");
    expect(result.baseline?.descriptors).toBe(reports[0]?.descriptors);
    const v = judgeVerdict({ baseline: result.baseline, cycles: result.cycles, cyclesPlanned: 2, reports, lines, failure: null });
    expect(v.verdict).toBe("pass");
    expect(v.reasons).toEqual([]);
    expect(result.cycles.every((c) => c.plugged.descriptors > c.unplugged.descriptors)).toBe(true);
  });

  it("Debian kernel, intx-shared: pass", () => {
    const { lines, reports, result } = load("debian-intx-shared");
    expect(judgeVerdict({ baseline: result.baseline, cycles: result.cycles, cyclesPlanned: 2, reports, lines, failure: null }).verdict).toBe("pass");
  });

  it("patched kernel that skips pci_free_irq_vectors -> leak, with the kernel's WARN as a second finding", () => {
    const { lines, reports, result } = load("tiny-leak-virtio-msix");
    const v = judgeVerdict({ baseline: result.baseline, cycles: result.cycles, cyclesPlanned: 3, reports, lines, failure: null });
    expect(v.verdict).toBe("leak");
    expect(v.reasons[0]).toMatch(/^cycle 1: 21 IRQ descriptors after unplug, baseline 18 \(\+3\)$/);
    expect(v.complaints.some((c) => c.includes("kernel/irq/msi.c:182"))).toBe(true);
    expect(v.reasons.some((r) => r.startsWith("kernel: WARNING"))).toBe(true);
    expect(logExcerpt(lines, { failed: false })).toContain("cut here");
  });

  it("a bound device without any /proc/interrupts line is a premature teardown", () => {
    const { lines, reports, result } = load("debian-msi-hotplug");
    const bound = reports.find((r) => r.devices.some((d) => d.virtioBound)) as GuestReport;
    const broken: GuestReport = { ...bound, seq: 99, devices: bound.devices.map((d) => ({ ...d, irqLines: 0 })) };
    const v = judgeVerdict({ baseline: result.baseline, cycles: result.cycles, cyclesPlanned: 2, reports: [...reports, broken], lines, failure: null });
    expect(v.verdict).toBe("premature-teardown");
    expect(v.reasons[0]).toContain("0000:01:00.0 (virtio0) is bound but has no line");
  });

  it("fewer descriptors than the baseline after unplug is a premature teardown, not a pass", () => {
    const { lines, reports, result } = load("debian-msi-hotplug");
    const base = result.baseline;
    if (!base) throw new Error("fixture has no baseline");
    const cycles = result.cycles.map((c) => ({ ...c, unplugged: { ...c.unplugged, descriptors: base.descriptors - 1 } }));
    expect(judgeVerdict({ baseline: base, cycles, cyclesPlanned: 2, reports, lines, failure: null }).verdict).toBe("premature-teardown");
  });

  it("timeouts, missing baseline and missing cycles are inconclusive, never pass", () => {
    const { lines, reports, result } = load("debian-msi-hotplug");
    const failed = judgeVerdict({ baseline: result.baseline, cycles: result.cycles.slice(0, 1), cyclesPlanned: 2, reports, lines, failure: "timed out" });
    expect(failed).toMatchObject({ verdict: "inconclusive", reasons: ["timed out"] });
    expect(judgeVerdict({ baseline: null, cycles: [], cyclesPlanned: 2, reports: [], lines: [], failure: null }).verdict).toBe("inconclusive");
    expect(judgeVerdict({ baseline: result.baseline, cycles: result.cycles.slice(0, 1), cyclesPlanned: 2, reports, lines, failure: null }).verdict).toBe("inconclusive");
  });

  it("a leak found before a later timeout stays a leak", () => {
    const { lines, reports, result } = load("tiny-leak-virtio-msix");
    const v = judgeVerdict({ baseline: result.baseline, cycles: result.cycles.slice(0, 1), cyclesPlanned: 3, reports, lines, failure: "timed out in cycle 2" });
    expect(v.verdict).toBe("leak");
    expect(v.reasons.at(-1)).toBe("run incomplete: timed out in cycle 2");
  });

  it("recognises the kernel's complaint lines", () => {
    const lines = [
      "[  1.0] genirq: Flags mismatch irq 20",
      "[  2.0] irq 20: nobody cared (try booting with the \"irqpoll\" option)",
      "[  3.0] Trying to free already-free IRQ 24",
      "[  4.0] refcount_t: underflow; use-after-free.",
      "[  5.0] BUG: kernel NULL pointer dereference, address: 0000000000000008",
      "[  6.0] Oops: 0002 [#1] PREEMPT SMP NOPTI",
      'IRQTRIAGE {"event":"change","message":"BUG: not a kernel line"}',
    ];
    expect(findComplaints(lines).map((c) => c.index)).toEqual([1, 2, 3, 4, 5]);
    const v = judgeVerdict({ baseline: null, cycles: [], cyclesPlanned: 1, reports: [], lines, failure: "qemu exited" });
    expect(v.verdict).toBe("kernel-warning");
  });
});
