import { balanceClasses, type BalanceClass, type Finding } from "./scan-result.js";

/** Findings per class, every class present (0 when none) in the contract's order. */
export function countClasses(findings: Finding[]): Record<BalanceClass, number> {
  const counts = Object.fromEntries(balanceClasses.map((c) => [c, 0])) as Record<BalanceClass, number>;
  for (const f of findings) counts[f.class]++;
  return counts;
}
