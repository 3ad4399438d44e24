import type { IgnoreRecord } from "./command-context.js";

export interface IgnoreOutcome<F> {
  kept: F[];
  suppressed: { finding: F; ignore: IgnoreRecord }[];
  /** "suppressed: <id> (ignored by X on v2: reason)", one per suppressed finding, for the reply. */
  lines: string[];
}

/**
 * Drop the findings a maintainer ignored on an earlier (or this) revision of the lineage. Pure.
 * Later ignores of the same id win (the newest reason is the one worth showing).
 */
export function applyIgnores<F extends { id: string }>(findings: readonly F[], ignores: readonly IgnoreRecord[]): IgnoreOutcome<F> {
  const byId = new Map<string, IgnoreRecord>();
  for (const i of [...ignores].sort((a, b) => a.at.getTime() - b.at.getTime())) byId.set(i.findingId, i);
  const kept: F[] = [];
  const suppressed: { finding: F; ignore: IgnoreRecord }[] = [];
  for (const f of findings) {
    const ig = byId.get(f.id);
    if (ig) suppressed.push({ finding: f, ignore: ig });
    else kept.push(f);
  }
  const lines = suppressed.map(({ ignore: i }) => `suppressed: ${i.findingId} (ignored by ${i.by} on v${i.version}: ${i.reason})`);
  return { kept, suppressed, lines };
}
