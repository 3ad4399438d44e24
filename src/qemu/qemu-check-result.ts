import type { GuestDevice } from "./guest-report.js";

/**
 * build-failed: the patched kernel did not build (the reason quotes the first error line);
 * build-stopped: its build hit a sandbox limit (time, memory, processes). Neither is a pass.
 */
export type QemuVerdict = "pass" | "leak" | "premature-teardown" | "kernel-warning" | "inconclusive" | "build-failed" | "build-stopped";

/** What the guest reported at one point of the scenario. */
export interface Reading {
  descriptors: number;
  controllers: Record<string, number>;
  /** Hot-pluggable devices (behind root ports) as the guest saw them. */
  devices: GuestDevice[];
}

export interface StepResult {
  action: "plug" | "unplug";
  device: string;
  /** Guest PCI address of the device (from query-pci), when known. */
  addr: string | null;
  reading: Reading;
  ms: number;
}

export interface CycleResult {
  plugged: Reading;
  unplugged: Reading;
  steps: StepResult[];
  ms: number;
}

/** Everything a QEMU check found; the CLI's `--json` shape is a projection (toQemuJson). */
export interface QemuCheckResult {
  /** Path of the kernel image that was booted. */
  kernel: string;
  /** false when the guest ran a prebuilt kernel, not the series' tree. */
  patched: boolean;
  scenario: string;
  verdict: QemuVerdict;
  /** One line per finding, in plain words (also the reason for "inconclusive"). */
  reasons: string[];
  accel: "kvm" | "tcg" | "unknown";
  /** `uname -r` in the guest. */
  release: string | null;
  baseline: Reading | null;
  cycles: CycleResult[];
  cyclesPlanned: number;
  /** Console lines that are kernel complaints (WARN, BUG, Oops, refcount_t, ...). */
  complaints: string[];
  logExcerpt: string;
  timings: { bootToFirstReportMs: number | null; cycleMs: number[]; totalMs: number };
  /** The full serial log, kept next to the run when the caller asked for it. */
  logFile: string | null;
}

/** The `irqtriage qemu --json` contract (issue 5), exactly these keys. */
export interface QemuJson {
  kernel: string;
  patched: boolean;
  scenario: string;
  verdict: QemuVerdict;
  baseline: { descriptors: number } | null;
  cycles: Array<{ plugged: { descriptors: number }; unplugged: { descriptors: number } }>;
  log_excerpt: string;
}

export function toQemuJson(r: QemuCheckResult): QemuJson {
  return {
    kernel: r.kernel,
    patched: r.patched,
    scenario: r.scenario,
    verdict: r.verdict,
    baseline: r.baseline ? { descriptors: r.baseline.descriptors } : null,
    cycles: r.cycles.map((c) => ({
      plugged: { descriptors: c.plugged.descriptors },
      unplugged: { descriptors: c.unplugged.descriptors },
    })),
    log_excerpt: r.logExcerpt,
  };
}
