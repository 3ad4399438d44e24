import { createHash } from "node:crypto";
import type { PublishFinding } from "../github/publisher.js";

/**
 * A finding id a maintainer can type in `#irqtriage ignore <id>`: lower case, digits and dashes
 * (the command grammar's `findingIdPattern`), readable, and stable for the same unit across
 * revisions, so an ignore given on v2 still matches on v3.
 */
export function publicFindingId(prefix: string, key: string, label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/\.[ch]$/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  const h = createHash("sha256").update(key).digest("hex").slice(0, 6);
  return `${prefix}-${slug ? slug + "-" : ""}${h}`;
}

/** The public id of a balance change (unit id + file name), as listed in the reply. */
export function balanceFindingId(c: { id: string; unit: string }): string {
  const file = c.unit.split("#")[0] ?? c.unit;
  return publicFindingId("bal", c.id, file.split("/").pop() ?? file);
}

interface BalanceChange {
  kind: string;
  id: string;
  unit: string;
  before: { class: string } | null;
  after: { class: string; reason?: string; create?: { file: string; line: number }[]; release?: { file: string; line: number }[] } | null;
}

interface SimRow {
  scenario: string;
  before: { violations: { property: string }[] };
  after: { violations: { property: string; trace: string[] }[] };
}

/**
 * The findings of a revision's stages in one shape (for ignores, GitHub check runs and
 * `#irqtriage explain`), from the details each stage recorded. Only what a reviewer should look
 * at: new or changed imbalances, verdicts the patch makes worse, a failing QEMU check.
 */
export function collectFindings(details: Readonly<Record<string, unknown>>): PublishFinding[] {
  const out: PublishFinding[] = [];
  const balance = details["balance"] as { changes?: BalanceChange[] } | undefined;
  for (const c of balance?.changes ?? []) {
    if (c.kind !== "new-imbalance" && c.kind !== "class-changed") continue;
    const site = c.after?.release?.[0] ?? c.after?.create?.[0];
    out.push({
      id: balanceFindingId(c),
      severity: "problem",
      title: `${c.unit}: ${c.before?.class ?? "new"} -> ${c.after?.class ?? "gone"}`,
      ...(c.after?.reason ? { detail: c.after.reason } : {}),
      ...(site ? { path: site.file, line: site.line } : {}),
    });
  }
  const sim = details["sim"] as { comparison?: { rows?: SimRow[] } } | undefined;
  for (const r of sim?.comparison?.rows ?? []) {
    const before = new Set(r.before.violations.map((v) => v.property));
    for (const v of r.after.violations) {
      if (before.has(v.property) && r.scenario !== "from-analysis") continue;
      out.push({
        id: publicFindingId("sim", `${r.scenario}/${v.property}`, `${r.scenario}-${v.property}`),
        severity: "problem",
        title: `simulation: ${v.property} in scenario ${r.scenario}`,
        detail: v.trace.join("\n"),
      });
    }
  }
  const qemu = details["qemu"] as { verdict?: string; scenario?: string; reasons?: string[] } | undefined;
  if (qemu?.verdict && qemu.verdict !== "pass") {
    out.push({
      id: publicFindingId("qemu", `${qemu.scenario}/${qemu.verdict}`, `${qemu.scenario ?? ""}-${qemu.verdict}`),
      severity: qemu.verdict === "inconclusive" ? "notice" : "problem",
      title: `QEMU ${qemu.scenario ?? ""}: ${qemu.verdict}`,
      ...(qemu.reasons?.length ? { detail: qemu.reasons.join("\n") } : {}),
    });
  }
  return out;
}
