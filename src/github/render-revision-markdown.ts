import type { Finding } from "../types/finding.js";
import type { RevisionToPublish } from "./publisher.js";

const icon = { problem: "❌", notice: "⚠️", info: "ℹ️" } as const;
const order = { problem: 0, notice: 1, info: 2 } as const;

/** Text from a mail inside Markdown: no HTML, no mentions, no links the author injected. */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]#+!|~]/g, (c) => `\\${c}`)
    .replace(/@/g, "@\u200b")
    .replace(/\r?\n/g, " ");
}

export type Conclusion = "success" | "neutral" | "failure";

export function conclusionOf(findings: readonly Finding[]): Conclusion {
  if (findings.some((f) => f.severity === "problem")) return "failure";
  if (findings.some((f) => f.severity === "notice")) return "neutral";
  return "success";
}

/** One-line summary for a check run title or a commit status description (<= 140 chars). */
export function summaryLine(rev: RevisionToPublish): string {
  const n = { problem: 0, notice: 0, info: 0 };
  for (const f of rev.findings) n[f.severity]++;
  const parts = [`${n.problem} problem${n.problem === 1 ? "" : "s"}`, `${n.notice} notice${n.notice === 1 ? "" : "s"}`];
  if (rev.suppressed?.length) parts.push(`${rev.suppressed.length} suppressed`);
  return `irqtriage v${rev.version}: ${parts.join(", ")}`.slice(0, 140);
}

/** The Markdown of a revision's comment / check-run text. Pure. `marker` makes re-runs detectable. */
export function renderRevisionMarkdown(rev: RevisionToPublish, marker: string): string {
  const lines = [
    `<!-- ${marker} -->`,
    `### irqtriage: v${rev.version} of "${escapeMarkdown(rev.title)}"`,
    "",
    `Author: ${escapeMarkdown(rev.author)}  `,
    `Applied on: \`${rev.base ?? "unknown base"}\`, head \`${rev.head}\`` + (rev.link ? `  \nSeries: <${encodeURI(rev.link)}>` : ""),
    "",
  ];
  const findings = [...rev.findings].sort((a, b) => order[a.severity] - order[b.severity]);
  if (findings.length === 0) {
    lines.push("No findings.");
  } else {
    lines.push("| | Finding | What | Where |", "|---|---|---|---|");
    for (const f of findings) {
      const where = f.file ? `\`${f.file.replace(/`/g, "")}${f.line ? `:${f.line}` : ""}\`` : "";
      lines.push(`| ${icon[f.severity]} | \`${f.id}\` | ${escapeMarkdown(f.summary)} | ${where} |`);
    }
    const detailed = findings.filter((f) => f.detail);
    for (const f of detailed) {
      lines.push("", `<details><summary><code>${f.id}</code></summary>`, "", "```", (f.detail ?? "").replace(/```/g, "'''"), "```", "", "</details>");
    }
  }
  if (rev.suppressed?.length) {
    lines.push("", "Suppressed by maintainers (`#irqtriage ignore`):", "");
    for (const s of rev.suppressed) lines.push(`- ${escapeMarkdown(s)}`);
  }
  lines.push("", "<sub>Mirrored by irqtriage. Commands go to the mailing list thread, not here.</sub>");
  return lines.join("\n");
}
