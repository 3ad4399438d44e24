import type { ReportSection } from "../types/report-section.js";

/**
 * The reply section listing findings a maintainer ignored (lines from applyIgnores), or null
 * when nothing was suppressed. Pure; the composer wraps it to 72 columns.
 */
export function renderSuppressedSection(lines: readonly string[]): ReportSection | null {
  if (lines.length === 0) return null;
  return {
    stage: "commands",
    title: "Suppressed by maintainers",
    severity: "info",
    body: [...lines, "", 'Ignored with "#irqtriage ignore"; "#irqtriage status" lists them.'].join("\n"),
  };
}
