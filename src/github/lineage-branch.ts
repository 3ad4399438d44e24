import { createHash } from "node:crypto";

/**
 * The branch of a series lineage on the mirror: stable across revisions (v1, v2, v3 force-push
 * the same branch, so one pull request follows the whole series) and free of anything a mail
 * author chose (the lineage id is a Message-ID; only its hash reaches git).
 */
export function lineageBranch(lineage: string, prefix: string): string {
  return `${prefix}${lineageKey(lineage)}`;
}

/** 16 hex digits naming a lineage wherever mail text must not go (branch names, markers). */
export function lineageKey(lineage: string): string {
  return createHash("sha256").update(lineage).digest("hex").slice(0, 16);
}
