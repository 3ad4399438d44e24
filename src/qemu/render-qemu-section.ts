import type { ReportSection } from "../types/report-section.js";
import { plotCountsAscii, plotCountsSvg, type CountSeries } from "./plot-counts.js";
import type { QemuCheckResult } from "./qemu-check-result.js";

const WIDTH = 72;

function clip(line: string, width = WIDTH): string {
  const l = line.replace(/\s+$/, "").replace(/\t/g, "  ");
  return l.length <= width ? l : l.slice(0, width - 3) + "...";
}

function wrap(text: string, indent: string, width = WIDTH): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const lead = out.length ? indent : "";
    if (line && (lead + line + " " + word).length > width) {
      out.push(lead + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push((out.length ? indent : "") + line);
  return out.map((l) => clip(l, width));
}

const HEADLINE: Record<QemuCheckResult["verdict"], string> = {
  pass: "pass: IRQ descriptors came back to the baseline after every unplug",
  leak: "LEAK: IRQ descriptors not back to the baseline after unplug",
  "premature-teardown": "PREMATURE TEARDOWN: interrupts lost while still in use",
  "kernel-warning": "KERNEL WARNING during the hot-plug cycles",
  inconclusive: "INCONCLUSIVE: the check did not complete (this is not a pass)",
  "build-failed": "BUILD FAILED: the patched kernel did not build, nothing was booted",
  "build-stopped": "BUILD STOPPED: the kernel build hit a limit of its sandbox, nothing was booted (this is not a pass)",
};

const isBuild = (r: QemuCheckResult): boolean => r.verdict === "build-failed" || r.verdict === "build-stopped";

export function countSeries(r: QemuCheckResult): CountSeries | null {
  if (!r.baseline) return null;
  return {
    baseline: r.baseline.descriptors,
    cycles: r.cycles.map((c) => ({ plugged: c.plugged.descriptors, unplugged: c.unplugged.descriptors })),
  };
}

function kernelLines(r: QemuCheckResult): string[] {
  const name = r.release ? `${r.kernel} (${r.release})` : r.kernel;
  if (r.patched) return wrap(`Kernel: built from the series' tree: ${name}`, "  ");
  return [
    ...wrap(`NOTE: the guest did NOT run the patched kernel. It booted a prebuilt kernel, ${name}, so this result does not test the series.`, "  "),
  ];
}

function body(r: QemuCheckResult, withPlot: boolean): string[] {
  const lines: string[] = [];
  if (isBuild(r)) {
    // The reason is the verdict: "build stopped: exceeded 30 min", "build failed: <first error>".
    const [why = HEADLINE[r.verdict], ...rest] = r.reasons;
    lines.push(...wrap(`Verdict: ${why}${r.verdict === "build-stopped" ? " (this is not a pass)" : ""}`, "  "));
    lines.push(...wrap(`The series' kernel was not built${rest.length ? ` (${rest.join("; ")})` : ""}, so scenario ${r.scenario} did not run.`, ""));
  } else {
    lines.push(...wrap(`Verdict: ${HEADLINE[r.verdict]}`, "  "));
    lines.push(...wrap(`Scenario ${r.scenario}, ${r.cycles.length} of ${r.cyclesPlanned} cycles, qemu q35 (${r.accel}).`, ""));
    lines.push(...kernelLines(r));
  }
  if (r.reasons.length && !isBuild(r)) {
    lines.push("", "Findings:");
    for (const why of r.reasons.slice(0, 8)) lines.push(...wrap(`- ${why}`, "  "));
    if (r.reasons.length > 8) lines.push(`- ... and ${r.reasons.length - 8} more`);
  }
  if (r.baseline) {
    lines.push("", `IRQ descriptors (/sys/kernel/irq): baseline ${r.baseline.descriptors}`);
    if (r.cycles.length) {
      lines.push("  cycle  plugged  unplugged");
      r.cycles.forEach((c, i) => {
        const d = c.unplugged.descriptors - (r.baseline?.descriptors ?? 0);
        const mark = d === 0 ? "" : `  (${d > 0 ? "+" : ""}${d})`;
        lines.push(`  ${String(i + 1).padStart(5)}  ${String(c.plugged.descriptors).padStart(7)}  ${String(c.unplugged.descriptors).padStart(9)}${mark}`);
      });
    }
    const series = countSeries(r);
    if (withPlot && series && r.cycles.length) {
      lines.push("", "Descriptors per step (b = boot, pN/uN = cycle N plugged/unplugged):");
      lines.push(...plotCountsAscii(series, { width: WIDTH }).split("\n"));
    }
  }
  if (r.logExcerpt.trim()) {
    lines.push("", isBuild(r) ? "Build output excerpt:" : "Guest console excerpt:");
    // A complaint matters from its first line (WARNING ... at file:line, then the trace); for a
    // clean or failed run the last lines are the ones that say where it got to.
    const ex = r.logExcerpt.split("\n");
    for (const l of r.complaints.length ? ex.slice(0, 18) : ex.slice(-15)) lines.push(clip("  " + l));
  }
  return lines;
}

/**
 * The QEMU section of the reply mail: plain text, every line <= 72 columns, no trailing spaces.
 * Pure. A prebuilt kernel is always called out; "inconclusive" never reads as a pass.
 */
export function renderQemuSection(r: QemuCheckResult): string {
  return body(r, true)
    .map((l) => l.replace(/\s+$/, ""))
    .join("\n");
}

/** Markdown version (GitHub mirror / HTML): the same text plus an SVG plot of the counts. */
export function renderQemuMarkdown(r: QemuCheckResult): string {
  const text = body(r, true);
  const series = countSeries(r);
  const out = [`### QEMU check: ${r.verdict}`, "", "```", ...text, "```"];
  if (series && r.cycles.length) {
    out.push("", plotCountsSvg(series, { title: `IRQ descriptors per cycle, ${r.scenario}` }));
  }
  return out.join("\n") + "\n";
}

/**
 * A failed build is the patch's problem (or the base's: the reply names the first error); a
 * stopped build or an incomplete run shows nothing wrong with the series, so only a notice.
 */
export function qemuSeverity(v: QemuCheckResult["verdict"]): ReportSection["severity"] {
  if (v === "pass") return "info";
  return v === "inconclusive" || v === "build-stopped" ? "notice" : "problem";
}

/** The section as the reply composer takes it (src/report/report-section.ts). */
export function qemuReportSection(r: QemuCheckResult): ReportSection {
  return {
    stage: "qemu",
    title: "QEMU hot-plug check",
    body: renderQemuSection(r),
    severity: qemuSeverity(r.verdict),
  };
}
