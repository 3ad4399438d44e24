import { afterEach, describe, expect, it } from "vitest";
import { chooseBase, isCommitId } from "../../src/kernel/choose-base.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { resolveBase } from "../../src/kernel/resolve-base.js";
import { makeRepo, type TempRepo } from "./git-fixture.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("chooseBase", () => {
  it("takes the trailer when the mirror has it", () => {
    expect(chooseBase({ baseCommit: "aaaaaaaaaaaa", baseCommitSha: A, branch: "master", branchSha: B })).toEqual({
      base: A,
      reason: "base-commit: aaaaaaaaaaaa from the cover letter is in the mirror",
      source: "base-commit",
    });
    expect(chooseBase({ baseCommit: A, baseCommitFrom: "patch 1/3", baseCommitSha: A, branch: "master", branchSha: B }).reason).toBe(
      `base-commit: ${A} from patch 1/3 is in the mirror`,
    );
  });

  it("falls back to the branch when the trailer is unknown or absent", () => {
    expect(chooseBase({ baseCommit: "1234567", baseCommitSha: null, branch: "master", branchSha: B })).toEqual({
      base: B,
      reason: `base-commit 1234567 is not in the mirror; using branch master at ${B}`,
      source: "branch",
    });
    expect(chooseBase({ baseCommit: null, baseCommitSha: null, branch: "irq/core", branchSha: B }).reason).toBe(
      `no base-commit trailer; using branch irq/core at ${B}`,
    );
    expect(chooseBase({ baseCommit: "  ", baseCommitSha: null, branch: "master", branchSha: B }).source).toBe("branch");
  });

  it("keeps hostile trailer text short and printable in the reason", () => {
    const r = chooseBase({ baseCommit: `x\u0007${"y".repeat(200)}`, baseCommitSha: null, branch: "master", branchSha: B }).reason;
    expect(r).toMatch(/^base-commit x\?y+\.\.\. is not in the mirror/);
    expect(r.length).toBeLessThan(200);
  });

  it("recognizes commit ids", () => {
    expect(isCommitId(A)).toBe(true);
    expect(isCommitId("abc1234")).toBe(true);
    expect(isCommitId("abc123")).toBe(false);
    expect(isCommitId("--all")).toBe(false);
    expect(isCommitId("HEAD")).toBe(false);
  });
});

describe("resolveBase on a real repository", () => {
  let repo: TempRepo | null = null;
  afterEach(() => repo?.cleanup());

  it("resolves full and abbreviated ids, refuses junk, fails on a missing branch", async () => {
    repo = makeRepo({ "x": "1\n" });
    const first = repo.git(["rev-parse", "HEAD"]).trim();
    repo.write("x", "2\n");
    const tip = repo.commit("two");
    const m = new LocalGitMirror({ path: repo.dir });
    expect(await resolveBase(m, { baseCommit: first, branch: "master" })).toMatchObject({ base: first, source: "base-commit" });
    expect(await resolveBase(m, { baseCommit: first.slice(0, 8), branch: "master" })).toMatchObject({ base: first, source: "base-commit" });
    expect(await resolveBase(m, { baseCommit: "f".repeat(40), branch: "master" })).toMatchObject({ base: tip, source: "branch" });
    // Not an object id: never given to git, even though git would resolve "HEAD~1".
    expect(await resolveBase(m, { baseCommit: "HEAD~1", branch: "master" })).toMatchObject({ base: tip, source: "branch" });
    expect(await resolveBase(m, { baseCommit: null, branch: "master" })).toMatchObject({ base: tip, reason: `no base-commit trailer; using branch master at ${tip}` });
    // A blob id is an object but not a commit.
    const blob = repo.git(["rev-parse", "HEAD:x"]).trim();
    expect(await resolveBase(m, { baseCommit: blob, branch: "master" })).toMatchObject({ source: "branch" });
    await expect(resolveBase(m, { baseCommit: null, branch: "nope" })).rejects.toThrow(/branch nope is not in the mirror/);
  });
});
