import { neutralClasses, type Finding } from "./scan-result.js";

export type DeltaKind = "new-imbalance" | "fixed-imbalance" | "class-changed" | "moved" | "new-unit" | "removed-unit";

/** One unit whose balance the patch changes; `before`/`after` carry both sides' evidence. */
export interface DeltaChange {
  kind: DeltaKind;
  id: string;
  unit: string;
  before: Finding | null;
  after: Finding | null;
}

const imbalance = (f: Finding | null): boolean => !!f && !neutralClasses.has(f.class);

/** What a unit does, ignoring line numbers (a patch above a function shifts them). */
function shape(f: Finding): string {
  const side = (role: string, refs: Finding["create"]): string[] => refs.map((r) => `${role}:${r.api ?? ""}:${r.function}:${r.path ?? ""}`);
  return [...side("c", f.create), ...side("r", f.release)].sort().join("|");
}

/**
 * Compare the findings of the base tree and the applied tree (pure). Units are matched by id
 * (family + file). Unchanged units are not reported.
 */
export function compareFindings(before: Finding[], after: Finding[]): DeltaChange[] {
  const b = new Map(before.map((f) => [f.id, f]));
  const a = new Map(after.map((f) => [f.id, f]));
  const out: DeltaChange[] = [];
  for (const id of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const x = b.get(id) ?? null;
    const y = a.get(id) ?? null;
    const unit = (y ?? x)!.unit;
    let kind: DeltaKind | null = null;
    if (x && y) {
      if (x.class !== y.class) {
        kind = !imbalance(x) && imbalance(y) ? "new-imbalance" : imbalance(x) && !imbalance(y) ? "fixed-imbalance" : "class-changed";
      } else if (shape(x) !== shape(y)) {
        kind = "moved";
      }
    } else if (y) {
      kind = imbalance(y) ? "new-imbalance" : "new-unit";
    } else if (x) {
      kind = imbalance(x) ? "fixed-imbalance" : "removed-unit";
    }
    if (kind) out.push({ kind, id, unit, before: x, after: y });
  }
  const order: DeltaKind[] = ["new-imbalance", "class-changed", "fixed-imbalance", "moved", "new-unit", "removed-unit"];
  return out.sort((p, q) => order.indexOf(p.kind) - order.indexOf(q.kind) || p.unit.localeCompare(q.unit));
}
