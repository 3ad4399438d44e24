import { ExternalError } from "../errors.js";
import { chooseBase, isCommitId, type BaseChoice } from "./choose-base.js";
import type { GitMirror } from "../types/git-mirror.js";

/**
 * Looks the series' `base-commit:` trailer and the configured branch up in the mirror and lets
 * chooseBase decide. Only hex object ids are given to git (`cat-file -e <id>^{commit}`); any other
 * trailer text counts as "not in the mirror".
 */
export async function resolveBase(
  mirror: GitMirror,
  opts: { baseCommit: string | null; baseCommitFrom?: string; branch: string },
): Promise<BaseChoice> {
  const branchSha = await mirror.resolve(opts.branch);
  if (branchSha === null) {
    throw new ExternalError(`branch ${opts.branch} is not in the mirror ${mirror.path}`, "git", "", `branch ${opts.branch} is not in the mirror`);
  }
  const trailer = opts.baseCommit?.trim() ?? null;
  let baseCommitSha: string | null = null;
  if (trailer && isCommitId(trailer) && (await mirror.hasCommit(trailer))) {
    baseCommitSha = await mirror.resolve(trailer);
  }
  return chooseBase({
    baseCommit: trailer,
    ...(opts.baseCommitFrom !== undefined ? { baseCommitFrom: opts.baseCommitFrom } : {}),
    baseCommitSha,
    branch: opts.branch,
    branchSha,
  });
}
