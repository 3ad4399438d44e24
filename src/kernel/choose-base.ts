/**
 * Which commit a series is applied on, and why (the reason goes into the reply). Pure: the caller
 * looks the trailer and the branch up in the mirror (resolve-base.ts) and passes what it found.
 */
export interface BaseFacts {
  /** The `base-commit:` trailer value as written by the author, or null when there is none. */
  baseCommit: string | null;
  /** Where the trailer was found, for the reason text. Default "the cover letter". */
  baseCommitFrom?: string;
  /** The full commit id the mirror has for `baseCommit`, or null when it has none. */
  baseCommitSha: string | null;
  /** The configured branch (or rev) used when the trailer is absent or unknown. */
  branch: string;
  /** The commit id the branch points at in the mirror. */
  branchSha: string;
}

export interface BaseChoice {
  /** Full commit id. */
  base: string;
  reason: string;
  source: "base-commit" | "branch";
}

/** A base-commit value worth asking git about: an object id, full or abbreviated. */
export function isCommitId(value: string): boolean {
  return /^[0-9a-f]{7,64}$/i.test(value);
}

/** Trailer values are untrusted text that ends up in a mail: keep them short and printable. */
function shown(value: string): string {
  const clean = value.replace(/[^\x21-\x7e]/g, "?");
  return clean.length > 64 ? `${clean.slice(0, 61)}...` : clean;
}

export function chooseBase(f: BaseFacts): BaseChoice {
  const from = f.baseCommitFrom ?? "the cover letter";
  const trailer = f.baseCommit?.trim() ?? "";
  if (trailer !== "" && f.baseCommitSha !== null) {
    return {
      base: f.baseCommitSha,
      reason: `base-commit: ${shown(trailer)} from ${from} is in the mirror`,
      source: "base-commit",
    };
  }
  if (trailer !== "") {
    return {
      base: f.branchSha,
      reason: `base-commit ${shown(trailer)} is not in the mirror; using branch ${f.branch} at ${f.branchSha}`,
      source: "branch",
    };
  }
  return {
    base: f.branchSha,
    reason: `no base-commit trailer; using branch ${f.branch} at ${f.branchSha}`,
    source: "branch",
  };
}
