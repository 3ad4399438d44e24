import type { AppliedSeries } from "../kernel/io/apply-series.js";
import type { Revision } from "../mail/series-types.js";
import type { ReportSection } from "../types/report-section.js";
import type { ApplyResult, RevisionResult } from "../types/triage-result.js";

function versionName(r: RevisionResult): string {
  return `${r.rfc ? "RFC " : ""}v${r.version}`;
}

function shortSha(sha: string | null): string {
  return sha ? sha.slice(0, 12) : "(none)";
}

/** The opening paragraph of a reply: what was triaged and why it is relevant. */
export function describeIntro(rev: Revision, r: RevisionResult): string {
  const n = r.patches.length;
  const parts = [
    `Hi ${rev.author?.name?.split(/\s+/)[0] || "there"},`,
    "",
    `irqtriage looked at ${versionName(r)} of "${r.title}" (${n} patch${n === 1 ? "" : "es"}` +
      `${rev.total > 1 ? ` of ${rev.total}` : ""}${r.cover ? ", with a cover letter" : ""}), ` +
      "because it touches how IRQs are mapped:",
    ...r.reasons.slice(0, 6).map((why) => `- ${why}`),
  ];
  if (r.reasons.length > 6) parts.push(`- and ${r.reasons.length - 6} more`);
  if (r.missing.length) parts.push("", `Patches ${r.missing.join(", ")} of ${rev.total} did not reach the list (yet).`);
  return parts.join("\n");
}

/** A hunk header as indented lines of at most 72 columns: the range, then its context. */
function hunkLines(hunk: string): string[] {
  const m = /^(@@ [^@]*@@)\s*(.*)$/.exec(hunk);
  const parts = m ? [m[1] as string, m[2] as string].filter(Boolean) : [hunk];
  return parts.map((p) => `    ${p.length > 68 ? p.slice(0, 64) + " ..." : p}`);
}

/** The apply section: base and why, and the result (or the patch, file and hunk that failed). */
export function describeApply(rev: Revision, apply: ApplyResult, applied: AppliedSeries | null): ReportSection {
  const lines: string[] = [];
  if (apply.status === "applied") {
    lines.push(`Applied cleanly on ${shortSha(apply.base)}${applied?.threeWay ? " (with a 3-way merge)" : ""}.`);
    if (apply.baseReason) lines.push(`Base: ${apply.baseReason}.`);
    return { stage: "apply", title: "Apply", body: lines.join("\n"), severity: "info" };
  }
  if (apply.status === "failed" && apply.failed) {
    const p = rev.patches.find((x) => x.msgid === apply.failed?.patch);
    lines.push(
      `The series does not apply on ${shortSha(apply.base)}.`,
      apply.baseReason ? `Base: ${apply.baseReason}.` : "",
      "",
      `Patch ${p ? `${p.index}/${p.total} "${p.subject.title}"` : apply.failed.patch} fails in`,
      `${apply.failed.file}, at the hunk:`,
      "",
      ...hunkLines(apply.failed.hunk),
      "",
      "The checks that need no applied tree ran anyway.",
    );
    return { stage: "apply", title: "Apply", body: lines.filter((l, i) => l !== "" || i > 1).join("\n"), severity: "problem" };
  }
  const unsafe = applied?.unsafe ?? [];
  if (unsafe.length) {
    lines.push("Not applied: git never saw this series, because it is unsafe:");
    for (const u of unsafe) for (const p of u.problems) lines.push(`- patch ${u.index}: ${p.message}`);
  } else {
    lines.push(`Not applied: ${(apply.baseReason ?? "skipped").replace(/^not applied:\s*/i, "")}.`);
  }
  return { stage: "apply", title: "Apply", body: lines.join("\n"), severity: unsafe.length ? "problem" : "notice" };
}
