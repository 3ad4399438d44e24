import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applySeries, type SeriesPatchInput } from "../../src/kernel/io/apply-series.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { cleanupStaleWorktrees } from "../../src/kernel/io/cleanup-stale-worktrees.js";
import { createWorktree, markerPath } from "../../src/kernel/io/worktree.js";
import { makeRepo, patchMessage, splitMbox, withMessageId, type TempRepo } from "./git-fixture.js";

// applySeries checks out only the files a series touches (sparse worktree); these tests prove
// git am --3way behaves on such a tree for every kind of change, and that it really is sparse.
const limits = { maxPatchBytes: 1024 * 1024 };
const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** Every line distinct, so a hunk can only apply where it was made (no offset match elsewhere). */
function lines(prefix: string, n = 30): string {
  return Array.from({ length: n }, (_, i) => `int ${prefix}_${i} = ${i};\n`).join("");
}

const files = {
  "Makefile": "all:\n",
  "MAINTAINERS": "IRQ\nM:\tx <x@example.org>\n",
  "drivers/foo.c": lines("foo"),
  "kernel/irq/old.c": lines("old"),
  "kernel/irq/gone.c": lines("gone"),
  "docs/with space.txt": "one\ntwo\n",
  "untouched/far.c": lines("far"),
};

/** Files on disk in a worktree (not .git), sorted. */
function onDisk(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile() && !path.relative(dir, path.join(e.parentPath, e.name)).startsWith(".git"))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function mirrorState(repo: TempRepo): string {
  return [
    repo.git(["rev-parse", "HEAD"]),
    repo.git(["symbolic-ref", "HEAD"]),
    repo.git(["status", "--porcelain", "--untracked-files=all"]),
    repo.git(["for-each-ref"]),
    repo.git(["ls-files", "-t"]),
  ].join("|");
}

/** Commits made on a topic branch, mailed with format-patch -M, then the branch deleted. */
function series(repo: TempRepo, base: string, edits: Array<[string, () => void]>): { patches: SeriesPatchInput[]; tree: string } {
  repo.git(["checkout", "-q", "-b", "topic", base]);
  for (const [msg, edit] of edits) {
    edit();
    repo.commit(msg, "2022-01-02T03:04:05Z", { name: "Ada Lovelace", email: "ada@example.org" });
  }
  const tree = repo.git(["rev-parse", "HEAD^{tree}"]).trim();
  const mbox = repo.git(["format-patch", "-M", "--stdout", `${base}..topic`]);
  repo.git(["checkout", "-q", "master"]);
  repo.git(["branch", "-q", "-D", "topic"]);
  const patches = splitMbox(mbox).map((m, i) => ({
    index: i + 1,
    total: edits.length,
    message: patchMessage(withMessageId(m, `s${i + 1}@example.org`), `s${i + 1}@example.org`),
  }));
  return { patches, tree };
}

function setup(): { repo: TempRepo; base: string; mirror: LocalGitMirror; stateDir: string } {
  const repo = makeRepo(files);
  repos.push(repo);
  return { repo, base: repo.git(["rev-parse", "HEAD"]).trim(), mirror: new LocalGitMirror({ path: repo.dir }), stateDir: path.join(repo.root, "state") };
}

describe("applySeries on a sparse worktree", () => {
  it("applies a modify, a new file, a delete, a rename and a follow-up edit; only touched files are on disk", async () => {
    const { repo, base, mirror, stateDir } = setup();
    const { patches, tree } = series(repo, base, [
      ["foo: modify", () => repo.write("drivers/foo.c", repo.read("drivers/foo.c").replace("int foo_3 = 3;", "int foo_3 = 33;"))],
      ["irq: new file in a new folder", () => repo.write("kernel/irq/new/fresh.c", "int fresh;\n")],
      ["irq: delete gone.c", () => repo.git(["rm", "-q", "kernel/irq/gone.c"])],
      ["irq: rename old.c", () => repo.git(["mv", "kernel/irq/old.c", "kernel/irq/renamed.c"])],
      [
        "irq: edit the new file and a name with a space",
        () => {
          repo.write("kernel/irq/new/fresh.c", "int fresh = 1;\n");
          repo.write("docs/with space.txt", "one\nTWO\n");
        },
      ],
    ]);
    expect(patches[3]!.message.text).toMatch(/^rename from kernel\/irq\/old\.c$/m);
    const before = mirrorState(repo);

    const a = await applySeries({ mirror, stateDir, patches, baseCommit: base, branch: "master", limits, name: "sparse" });
    try {
      expect(a.result.status).toBe("applied");
      expect(a.commits).toHaveLength(5);
      expect(a.threeWay).toBe(false);
      const wt = a.worktree!;
      // The applied tree is exactly the author's tree: nothing lost outside the sparse set.
      expect(repo.git(["-C", wt, "rev-parse", "HEAD^{tree}"]).trim()).toBe(tree);
      // Sparse: only what the series touched plus MAINTAINERS and Makefile.
      expect(onDisk(wt)).toEqual(["MAINTAINERS", "Makefile", "docs/with space.txt", "drivers/foo.c", "kernel/irq/new/fresh.c", "kernel/irq/renamed.c"]);
      expect(existsSync(path.join(wt, "untouched/far.c"))).toBe(false);
      expect(existsSync(path.join(wt, "kernel/irq/old.c"))).toBe(false);
      expect(existsSync(path.join(wt, "kernel/irq/gone.c"))).toBe(false);
      expect(readFileSync(path.join(wt, "kernel/irq/new/fresh.c"), "utf8")).toBe("int fresh = 1;\n");
      expect(readFileSync(path.join(wt, "docs/with space.txt"), "utf8")).toBe("one\nTWO\n");
      // The index still has every file: the untouched one is marked skip-worktree, not deleted.
      expect(repo.git(["-C", wt, "ls-files", "-t", "--", "untouched/far.c"])).toBe("S untouched/far.c\n");
      expect(repo.git(["-C", wt, "status", "--porcelain"])).toBe("");
      // The mirror's own checkout, HEAD and refs are unchanged and it is not sparse.
      expect(mirrorState(repo)).toBe(before);
      expect(repo.git(["config", "--list"])).not.toMatch(/^core\.sparsecheckout=true$/im);
      expect(repo.git(["ls-files", "-t"]).split("\n").filter((l) => l.startsWith("S "))).toEqual([]);
    } catch (e) {
      await a.dispose();
      throw e;
    }

    await a.materialize();
    await Promise.all([a.materialize(), a.materialize()]); // idempotent, also concurrently
    const wt = a.worktree!;
    expect(readFileSync(path.join(wt, "untouched/far.c"), "utf8")).toBe(files["untouched/far.c"]);
    expect(onDisk(wt)).toEqual(repo.git(["-C", wt, "ls-files"]).trim().split("\n").sort());
    expect(repo.git(["-C", wt, "ls-files", "-t"]).split("\n").filter((l) => l.startsWith("S "))).toEqual([]);
    expect(repo.git(["-C", wt, "status", "--porcelain", "--untracked-files=all"])).toBe("");
    expect(repo.git(["-C", wt, "rev-parse", "HEAD^{tree}"]).trim()).toBe(tree);

    await a.dispose();
    expect(existsSync(wt)).toBe(false);
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
    expect(mirrorState(repo)).toBe(before);
  });

  it("names the patch, file and hunk of a failing patch (git apply --check on the sparse tree)", async () => {
    const { repo, base, mirror, stateDir } = setup();
    const { patches } = series(repo, base, [
      ["foo: modify", () => repo.write("drivers/foo.c", repo.read("drivers/foo.c").replace("int foo_3 = 3;", "int foo_3 = 33;"))],
      ["irq: rename and edit old.c", () => {
        repo.git(["mv", "kernel/irq/old.c", "kernel/irq/renamed.c"]);
        repo.write("kernel/irq/renamed.c", repo.read("kernel/irq/renamed.c").replace("int old_15 = 15;", "int old_15 = 55;"));
      }],
    ]);
    // The mirror moved on: the very line patch 2 edits in old.c changed.
    repo.write("kernel/irq/old.c", repo.read("kernel/irq/old.c").replace("int old_15 = 15;", "int old_15 = -15;"));
    const tip = repo.commit("old: v5 negative");
    const before = mirrorState(repo);
    const a = await applySeries({ mirror, stateDir, patches, baseCommit: null, branch: "master", limits, name: "fail" });
    expect(a.result.status).toBe("failed");
    expect(a.result.base).toBe(tip);
    expect(a.result.failed?.patch).toBe("s2@example.org");
    expect(["kernel/irq/old.c", "kernel/irq/renamed.c"]).toContain(a.result.failed?.file);
    const hunk = /^@@ .* @@.*$/m.exec(patches[1]!.message.text.split("rename to kernel/irq/renamed.c")[1] ?? "")?.[0];
    expect(hunk).toBeDefined();
    expect(a.result.failed?.hunk).toBe(hunk);
    expect(a.failure).toMatchObject({ index: 2 });
    expect(a.failure?.line).toBe(Number(/^@@ -(\d+)/.exec(hunk!)![1]));
    expect(a.worktree).toBeNull();
    await a.materialize(); // a no-op without a worktree
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
    expect(mirrorState(repo)).toBe(before);
  });

  it("falls back to a 3-way merge when the context moved but the change does not conflict", async () => {
    const { repo, base, mirror, stateDir } = setup();
    const { patches } = series(repo, base, [
      ["foo: v3", () => repo.write("drivers/foo.c", repo.read("drivers/foo.c").replace("int foo_3 = 3;", "int foo_3 = 33;"))],
    ]);
    // The mirror changes a context line of that hunk (three lines below): plain apply fails,
    // the 3-way merge with the blobs named in the mail's index line succeeds.
    repo.write("drivers/foo.c", repo.read("drivers/foo.c").replace("int foo_6 = 6;", "int foo_6 = 66;"));
    const tip = repo.commit("foo: v6");
    const a = await applySeries({ mirror, stateDir, patches, baseCommit: null, branch: "master", limits, name: "3way" });
    try {
      expect(a.result).toMatchObject({ status: "applied", base: tip });
      expect(a.threeWay).toBe(true);
      const text = readFileSync(path.join(a.worktree!, "drivers/foo.c"), "utf8");
      expect(text).toContain("int foo_3 = 33;\nint foo_4 = 4;\nint foo_5 = 5;\nint foo_6 = 66;\n");
      expect(existsSync(path.join(a.worktree!, "untouched/far.c"))).toBe(false);
      expect(repo.git(["-C", a.worktree!, "status", "--porcelain"])).toBe("");
    } finally {
      await a.dispose();
    }
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
  });

  it("checks out the whole tree when asked (sparse: false)", async () => {
    const { repo, base, mirror, stateDir } = setup();
    const { patches } = series(repo, base, [["foo", () => repo.write("drivers/foo.c", repo.read("drivers/foo.c") + "\n")]]);
    const a = await applySeries({ mirror, stateDir, patches, baseCommit: null, branch: "master", limits, name: "full", sparse: false });
    try {
      expect(a.result.status).toBe("applied");
      expect(existsSync(path.join(a.worktree!, "untouched/far.c"))).toBe(true);
      await a.materialize(); // nothing to fill, still fine
      expect(repo.git(["-C", a.worktree!, "status", "--porcelain"])).toBe("");
    } finally {
      await a.dispose();
    }
  });
});

describe("createWorktree({ sparse })", () => {
  it("materializes exactly the listed paths (wildcards and brackets in names are literal)", async () => {
    const repo = makeRepo({ "w*.c": "star\n", "wx.c": "x\n", "[ab].c": "br\n", "a.c": "a\n", "Makefile": "m\n", "sub/deep.c": "d\n" });
    repos.push(repo);
    const mirror = new LocalGitMirror({ path: repo.dir });
    const wt = await createWorktree({ mirror, stateDir: path.join(repo.root, "state"), name: "s", base: "HEAD", sparse: ["w*.c", "[ab].c", "no/such/file.c"] });
    try {
      expect(wt.sparse).toBe(true);
      // MAINTAINERS is always asked for; this repo has none, which is fine.
      expect(onDisk(wt.path)).toEqual(["Makefile", "[ab].c", "w*.c"]);
      expect(repo.git(["-C", wt.path, "status", "--porcelain"])).toBe("");
      await wt.materialize();
      expect(wt.sparse).toBe(false);
      expect(onDisk(wt.path)).toEqual(["Makefile", "[ab].c", "a.c", "sub/deep.c", "w*.c", "wx.c"]);
    } finally {
      await wt.dispose();
    }
    expect(existsSync(wt.path)).toBe(false);
    await expect(wt.materialize()).rejects.toThrow(/already removed/);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
  });

  it("is removed by cleanupStaleWorktrees after its owner died", async () => {
    const repo = makeRepo({ "a.c": "a\n", "b.c": "b\n" });
    repos.push(repo);
    const stateDir = path.join(repo.root, "state");
    const wt = await createWorktree({ mirror: new LocalGitMirror({ path: repo.dir }), stateDir, name: "crash", base: "HEAD", sparse: ["a.c"] });
    expect(onDisk(wt.path)).toEqual(["a.c"]);
    const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
    const m = JSON.parse(readFileSync(markerPath(wt.path), "utf8")) as Record<string, unknown>;
    writeFileSync(markerPath(wt.path), JSON.stringify({ ...m, pid: dead }));
    const report = await cleanupStaleWorktrees(stateDir);
    expect(report.removed).toEqual([wt.path]);
    expect(existsSync(wt.path)).toBe(false);
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
  });
});
