import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { plotCountsAscii, plotCountsSvg } from "../../src/qemu/plot-counts.js";
import { toQemuJson, type QemuCheckResult } from "../../src/qemu/qemu-check-result.js";
import { qemuReportSection, renderQemuMarkdown, renderQemuSection } from "../../src/qemu/render-qemu-section.js";

const fixtures = path.join(import.meta.dirname, "..", "..", "fixtures", "qemu");
const load = (n: string): QemuCheckResult => JSON.parse(readFileSync(path.join(fixtures, `${n}.result.json`), "utf8")) as QemuCheckResult;

function mailShaped(text: string): void {
  for (const line of text.split("\n")) {
    expect(line.length, line).toBeLessThanOrEqual(72);
    expect(line, "trailing space").not.toMatch(/\s$/);
  }
}

describe("renderQemuSection", () => {
  it("leak: findings, per-cycle counts with the excess, plot, the kernel's warning", () => {
    const text = renderQemuSection(load("tiny-leak-virtio-msix"));
    mailShaped(text);
    expect(text).toMatch(/^Verdict: LEAK/);
    expect(text).toContain("Kernel: built from the series' tree");
    expect(text).toMatch(/^ {6}1 {7}21 {9}21 {2}\(\+3\)$/m);
    expect(text).toContain("b  p1  u1");
    expect(text).toContain("WARNING: CPU: 0 PID: 7 at kernel/irq/msi.c:182");
  });

  it("says plainly when the guest did not run the patched kernel", () => {
    const r = load("debian-msi-hotplug");
    const text = renderQemuSection(r);
    mailShaped(text);
    expect(r.patched).toBe(false);
    expect(text).toContain("NOTE: the guest did NOT run the patched kernel");
    expect(text).toMatch(/^Verdict: pass/);
  });

  it("inconclusive never reads as a pass", () => {
    const r: QemuCheckResult = { ...load("debian-msi-hotplug"), verdict: "inconclusive", reasons: ["timed out after 90000 ms waiting for the guest: baseline report after boot"], baseline: null, cycles: [] };
    const text = renderQemuSection(r);
    mailShaped(text);
    expect(text).toMatch(/^Verdict: INCONCLUSIVE.*not a pass/);
    expect(text).not.toMatch(/^Verdict: pass/m);
    expect(text).toContain("timed out after 90000 ms");
  });

  it("maps verdicts to reply severities", () => {
    expect(qemuReportSection(load("tiny-leak-virtio-msix"))).toMatchObject({ stage: "qemu", severity: "problem" });
    expect(qemuReportSection(load("debian-msi-hotplug")).severity).toBe("info");
    expect(qemuReportSection({ ...load("debian-msi-hotplug"), verdict: "inconclusive" }).severity).toBe("notice");
  });

  it("markdown carries the text and an SVG plot", () => {
    const md = renderQemuMarkdown(load("tiny-leak-virtio-msix"));
    expect(md).toMatch(/^### QEMU check: leak/);
    expect(md).toContain("<svg xmlns=");
    expect((md.match(/<circle /g) ?? []).length).toBe(7);
  });
});

describe("plots and the JSON contract", () => {
  it("ASCII plot marks every step and the baseline row, within 72 columns even for many cycles", () => {
    const many = { baseline: 18, cycles: Array.from({ length: 40 }, (_, i) => ({ plugged: 21 + i, unplugged: 18 + i })) };
    const p = plotCountsAscii(many);
    for (const l of p.split("\n")) expect(l.length).toBeLessThanOrEqual(72);
    expect(p).toMatch(/first \d+ cycles not shown/);
    const small = plotCountsAscii({ baseline: 18, cycles: [{ plugged: 21, unplugged: 18 }] });
    expect(small.split("\n")[0]).toBe("  21 |      *");
    expect(small).toContain("  18 |--*-------*-");
    expect(plotCountsSvg({ baseline: 18, cycles: [{ plugged: 21, unplugged: 18 }] })).toContain("<title>p1: 21</title>");
  });

  it("--json has exactly the keys of the contract", () => {
    const j = toQemuJson(load("tiny-leak-virtio-msix"));
    expect(Object.keys(j)).toEqual(["kernel", "patched", "scenario", "verdict", "baseline", "cycles", "log_excerpt"]);
    expect(j.cycles[0]).toEqual({ plugged: { descriptors: 21 }, unplugged: { descriptors: 21 } });
    expect(j.baseline).toEqual({ descriptors: 18 });
  });
});
