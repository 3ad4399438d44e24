import { REPORT_PREFIX, type GuestReport } from "./guest-report.js";
import type { CycleResult, QemuVerdict, Reading } from "./qemu-check-result.js";

/** Kernel console lines that mean the kernel complained, whatever the counts say. */
export const COMPLAINT_PATTERNS: readonly RegExp[] = [
  /WARNING: CPU: \d+ PID: \d+ at /,
  /\bkernel BUG at /,
  /\bBUG: /,
  /\bOops\b/,
  /general protection fault/,
  /refcount_t: /,
  /nobody cared/,
  /Trying to free already-free IRQ/,
  /Kernel panic - not syncing/,
  /\bUBSAN: /,
  /\bKASAN: /,
];

export function findComplaints(lines: readonly string[]): Array<{ index: number; line: string }> {
  const out: Array<{ index: number; line: string }> = [];
  lines.forEach((line, index) => {
    if (line.includes(REPORT_PREFIX)) return;
    if (COMPLAINT_PATTERNS.some((re) => re.test(line))) out.push({ index, line: line.trim() });
  });
  return out;
}

export interface VerdictInput {
  baseline: Reading | null;
  cycles: readonly CycleResult[];
  cyclesPlanned: number;
  /** Every report the guest printed, in order. */
  reports: readonly GuestReport[];
  /** The whole serial log, split into lines. */
  lines: readonly string[];
  /** Why the run stopped early (timeout, qemu exit, boot failure), or null when it completed. */
  failure: string | null;
}

export interface Verdict {
  verdict: QemuVerdict;
  reasons: string[];
  complaints: string[];
}

function controllerDiff(base: Record<string, number>, now: Record<string, number>): string[] {
  const keys = [...new Set([...Object.keys(base), ...Object.keys(now)])].sort();
  return keys.filter((k) => (base[k] ?? 0) !== (now[k] ?? 0)).map((k) => `${k} ${base[k] ?? 0} -> ${now[k] ?? 0}`);
}

/**
 * Decide the verdict from what the guest reported. Findings win over "inconclusive" (a leak seen
 * in cycle 1 stays a leak when cycle 2 times out); "pass" needs a complete run with nothing
 * found. Order among findings: premature teardown, leak, kernel complaint.
 */
export function judgeVerdict(input: VerdictInput): Verdict {
  const reasons: Record<Exclude<QemuVerdict, "pass" | "inconclusive" | "build-failed" | "build-stopped">, string[]> = {
    "premature-teardown": [],
    leak: [],
    "kernel-warning": [],
  };
  const complaints = findComplaints(input.lines).map((c) => c.line);
  // A device whose driver is bound must keep its interrupt: a bound virtio device with no line in
  // /proc/interrupts lost it while still in use. (During removal the driver link goes first, so
  // the normal teardown never looks like this.)
  const seen = new Set<string>();
  for (const r of input.reports) {
    for (const d of r.devices) {
      if (d.bound && d.virtio && d.virtioBound && d.irqLines === 0 && !seen.has(d.addr)) {
        seen.add(d.addr);
        reasons["premature-teardown"].push(
          `report ${r.seq}: ${d.addr} (${d.virtio}) is bound but has no line in /proc/interrupts`,
        );
      }
    }
  }
  const base = input.baseline;
  if (base) {
    input.cycles.forEach((c, i) => {
      const n = i + 1;
      const after = c.unplugged;
      const diff = controllerDiff(base.controllers, after.controllers);
      if (after.descriptors > base.descriptors) {
        reasons.leak.push(
          `cycle ${n}: ${after.descriptors} IRQ descriptors after unplug, baseline ${base.descriptors} (+${after.descriptors - base.descriptors})`,
        );
      } else if (after.descriptors < base.descriptors) {
        reasons["premature-teardown"].push(
          `cycle ${n}: ${after.descriptors} IRQ descriptors after unplug, fewer than the baseline ${base.descriptors}`,
        );
      }
      if (diff.length && after.descriptors === base.descriptors) {
        reasons.leak.push(`cycle ${n}: /proc/interrupts per controller differs from baseline: ${diff.join(", ")}`);
      }
    });
  }
  if (complaints.length) reasons["kernel-warning"].push(...complaints.slice(0, 5).map((l) => `kernel: ${l}`));
  for (const v of ["premature-teardown", "leak", "kernel-warning"] as const) {
    if (reasons[v].length) {
      const all = [...reasons[v]];
      for (const other of ["premature-teardown", "leak", "kernel-warning"] as const) if (other !== v) all.push(...reasons[other]);
      if (input.failure) all.push(`run incomplete: ${input.failure}`);
      return { verdict: v, reasons: all, complaints };
    }
  }
  if (input.failure) return { verdict: "inconclusive", reasons: [input.failure], complaints };
  if (!base) return { verdict: "inconclusive", reasons: ["no baseline report from the guest"], complaints };
  if (input.cycles.length < input.cyclesPlanned) {
    return { verdict: "inconclusive", reasons: [`only ${input.cycles.length} of ${input.cyclesPlanned} cycles ran`], complaints };
  }
  if (input.cyclesPlanned === 0) return { verdict: "inconclusive", reasons: ["no plug/unplug cycle was run"], complaints };
  return { verdict: "pass", reasons: [], complaints };
}

const INTERESTING = /pci|virtio|irq|msi|hotplug|pciehp|acpiphp|warn|bug|oops|refcount|panic/i;

/**
 * The part of the console log worth quoting: the complaint blocks when there are some, the tail
 * when the run failed, else the kernel's hot-plug messages. Report lines are data, not quoted.
 */
export function logExcerpt(lines: readonly string[], opts: { failed: boolean; maxLines?: number }): string {
  const max = opts.maxLines ?? 30;
  const kernelLines = lines.map((l, i) => ({ l: l.replace(/\s+$/, ""), i })).filter((x) => !x.l.includes(REPORT_PREFIX));
  const complaints = findComplaints(lines);
  let picked: string[];
  if (complaints.length) {
    const want = new Set<number>();
    for (const c of complaints) for (let i = Math.max(0, c.index - 1); i < c.index + 30 && i < lines.length; i++) want.add(i);
    // Register dumps and code bytes say nothing to a reviewer reading a mail; the complaint,
    // the task, RIP and the call trace do.
    const noise = /^(\[\s*[\d.]+\]\s*)?(Code:|R(?!IP)[A-Z0-9]{2}: |R\d{1,2}: |RSP: |FS: |CS: |CR2: |DR[0-7]: |Modules linked in)/;
    picked = kernelLines.filter((x) => want.has(x.i) && !noise.test(x.l)).map((x) => x.l);
  } else if (opts.failed) {
    picked = kernelLines.slice(-max).map((x) => x.l);
  } else {
    // A clean run: the kernel's own hot-plug messages after the baseline report.
    const from = lines.findIndex((l) => l.includes(REPORT_PREFIX));
    picked = kernelLines.filter((x) => x.i > from && INTERESTING.test(x.l)).map((x) => x.l).slice(-max);
  }
  return picked.slice(0, max).join("\n");
}
