import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applySeries, type SeriesPatchInput } from "../../src/kernel/io/apply-series.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { cFile, makeRepo, patchMessage, splitMbox, withMessageId, type TempRepo } from "./git-fixture.js";

const limits = { maxPatchBytes: 1024 * 1024 };
const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/**
 * A mirror with drivers/foo.c and kernel/irq/bar.c, and a two-patch series made with
 * `git format-patch` on a side branch by another author, then the branch deleted so the mirror
 * only has master.
 */
function setup(): { repo: TempRepo; base: string; mails: Buffer[]; patches: SeriesPatchInput[] } {
  const repo = makeRepo({
    "drivers/foo.c": cFile("foo", ["foo_probe", "foo_remove"]),
    "kernel/irq/bar.c": cFile("bar", ["bar_map", "bar_unmap"]),
    "README": "hello\n",
  });
  repos.push(repo);
  const base = repo.git(["rev-parse", "HEAD"]).trim();
  repo.git(["checkout", "-q", "-b", "topic"]);
  repo.write("drivers/foo.c", repo.read("drivers/foo.c").replace("\tirq_dispose_mapping(irq);\n\treturn 0;\n}\n\nstatic int foo_remove", "\treturn 0;\n}\n\nstatic int foo_remove"));
  repo.commit("foo: drop the dispose in probe\n\nFrom now on the mapping lives longer.\n", "2021-05-06T07:08:09+02:00", {
    name: "Ada Lovelace",
    email: "ada@example.org",
  });
  repo.write("kernel/irq/bar.c", repo.read("kernel/irq/bar.c").replace("\tint v11 = 11;\n\tirq = irq_create_mapping(NULL, 0);\n\tirq_dispose_mapping(irq);\n\treturn 0;\n}\n", "\tint v11 = 11;\n\tirq = irq_create_mapping(NULL, 0);\n\tirq_dispose_mapping(irq);\n\treturn 1;\n}\n"));
  repo.commit("genirq: bar returns one", "2021-05-06T07:10:00+02:00", { name: "Ada Lovelace", email: "ada@example.org" });
  const mbox = repo.git(["format-patch", "--stdout", `${base}..topic`]);
  repo.git(["checkout", "-q", "master"]);
  repo.git(["branch", "-q", "-D", "topic"]);
  const mails = splitMbox(mbox).map((m, i) => withMessageId(m, `p${i + 1}@example.org`));
  const patches = mails.map((raw, i) => ({ index: i + 1, total: mails.length, message: patchMessage(raw, `p${i + 1}@example.org`) }));
  return { repo, base, mails, patches };
}

function mirrorState(repo: TempRepo): string {
  return [repo.git(["rev-parse", "HEAD"]), repo.git(["status", "--porcelain", "--untracked-files=all"]), repo.git(["for-each-ref"]), repo.git(["symbolic-ref", "HEAD"])].join("|");
}

describe("applySeries", () => {
  it("applies a format-patch series in a worktree, keeps authorship, leaves the mirror alone", async () => {
    const { repo, base, patches } = setup();
    const before = mirrorState(repo);
    const stateDir = path.join(repo.root, "state");
    const mirror = new LocalGitMirror({ path: repo.dir });
    const applied = await applySeries({ mirror, stateDir, patches, baseCommit: null, branch: "master", limits, name: "lineage@x v2" });

    expect(applied.result).toEqual({
      status: "applied",
      base,
      baseReason: `no base-commit trailer; using branch master at ${base}`,
      failed: null,
    });
    expect(applied.commits).toHaveLength(2);
    const wt = applied.worktree!;
    expect(wt.startsWith(path.join(stateDir, "worktrees") + path.sep)).toBe(true);
    expect(existsSync(path.join(wt, "drivers/foo.c"))).toBe(true);

    const log = repo.git(["log", "--format=%an|%ae|%aI|%cn|%ce|%s|%b", `${base}..${applied.commits[1]!}`]).trim().split("\n");
    expect(log[0]).toMatch(/^Ada Lovelace\|ada@example\.org\|2021-05-06T07:10:00\+02:00\|irqtriage\|irqtriage@localhost\|genirq: bar returns one\|/);
    expect(log[1]).toMatch(/^Ada Lovelace\|ada@example\.org\|2021-05-06T07:08:09\+02:00\|irqtriage\|irqtriage@localhost\|foo: drop the dispose in probe\|From now on/);
    // --committer-date-is-author-date: the same mails on the same base give the same commits.
    expect(repo.git(["log", "-1", "--format=%cI", applied.commits[1]!]).trim()).toBe("2021-05-06T07:10:00+02:00");

    expect(mirrorState(repo)).toBe(before);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(2);

    await applied.dispose();
    await applied.dispose(); // idempotent
    expect(existsSync(wt)).toBe(false);
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
    expect(mirrorState(repo)).toBe(before);
  });

  it("uses the base-commit trailer when the mirror has it (full and abbreviated)", async () => {
    const { repo, base, patches } = setup();
    // The branch moves on in a way that does not conflict; the trailer must still win.
    repo.write("README", "hello again\n");
    const tip = repo.commit("readme");
    const mirror = new LocalGitMirror({ path: repo.dir });
    const stateDir = path.join(repo.root, "state");
    for (const trailer of [base, base.slice(0, 12)]) {
      const a = await applySeries({ mirror, stateDir, patches, baseCommit: trailer, branch: "master", limits, name: "t" });
      expect(a.result.status).toBe("applied");
      expect(a.result.base).toBe(base);
      expect(a.result.baseReason).toBe(`base-commit: ${trailer} from the cover letter is in the mirror`);
      expect(repo.git(["rev-parse", `${a.commits[0]!}^`]).trim()).toBe(base);
      await a.dispose();
    }
    const unknown = "0123456789abcdef0123456789abcdef01234567";
    const u = await applySeries({ mirror, stateDir, patches, baseCommit: unknown, branch: "master", limits, name: "t" });
    expect(u.result.base).toBe(tip);
    expect(u.result.baseReason).toBe(`base-commit ${unknown} is not in the mirror; using branch master at ${tip}`);
    await u.dispose();
  });

  it("names the patch, file and hunk that do not apply, aborts and removes the worktree", async () => {
    const { repo, patches } = setup();
    // The mirror changed the very lines patch 2 touches.
    repo.write("kernel/irq/bar.c", repo.read("kernel/irq/bar.c").replace("\tint v11 = 11;\n\tirq = irq_create_mapping(NULL, 0);\n\tirq_dispose_mapping(irq);\n\treturn 0;\n}\n", "\tint v11 = 11;\n\tirq = irq_create_mapping(NULL, 0);\n\tirq_dispose_mapping(irq);\n\treturn -22;\n}\n"));
    const tip = repo.commit("bar: return -EINVAL");
    const before = mirrorState(repo);
    const mirror = new LocalGitMirror({ path: repo.dir });
    const stateDir = path.join(repo.root, "state");
    const a = await applySeries({ mirror, stateDir, patches, baseCommit: null, branch: "master", limits, name: "t" });

    expect(a.result.status).toBe("failed");
    expect(a.result.base).toBe(tip);
    expect(a.result.failed?.patch).toBe("p2@example.org");
    expect(a.result.failed?.file).toBe("kernel/irq/bar.c");
    // The hunk header as it is in the mail, with git's function context.
    const hunkInMail = /^@@ .* @@ static int bar_map.*$/m.exec(patches[1]!.message.text)?.[0];
    expect(hunkInMail).toBeDefined();
    expect(a.result.failed?.hunk).toBe(hunkInMail);
    expect(a.failure).toMatchObject({ index: 2, subject: "[PATCH 2/2] genirq: bar returns one" });
    expect(a.worktree).toBeNull();
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(repo.git(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
    expect(mirrorState(repo)).toBe(before);
  });

  it("names the hunk when the mail's blobs are unknown to the mirror (no 3-way possible, as with LKML mail)", async () => {
    const { repo } = setup();
    // The author's tree differs from the mirror's, so the index lines name blobs the mirror lacks.
    const other = makeRepo({ "kernel/irq/bar.c": cFile("bar", ["bar_map", "bar_unmap_v2"]) });
    repos.push(other);
    other.write("kernel/irq/bar.c", other.read("kernel/irq/bar.c").replace(/(static int bar_unmap_v2[^]*?)\tint v0 = 0;/, "$1\tint v0 = 7;"));
    other.commit("bar: extra returns 7");
    const raw = withMessageId(splitMbox(other.git(["format-patch", "--stdout", "-1"]))[0]!, "x@example.org");
    const message = patchMessage(raw, "x@example.org");
    const a = await applySeries({ mirror: new LocalGitMirror({ path: repo.dir }), stateDir: path.join(repo.root, "state"), patches: [{ index: 1, message }], baseCommit: null, branch: "master", limits, name: "t" });
    expect(a.result.status).toBe("failed");
    expect(a.failure?.errors.join("\n")).toMatch(/could not build fake ancestor|sha1 information is lacking/);
    expect(a.result.failed).toEqual({
      patch: "x@example.org",
      file: "kernel/irq/bar.c",
      hunk: /^@@ .* @@.*$/m.exec(message.text)![0],
    });
    expect(a.failure?.line).toBe(Number(/^@@ -(\d+)/m.exec(message.text)![1]));
  });

  it("runs no hook of the mirror (am, checkout, commit hooks all installed)", async () => {
    const { repo, patches } = setup();
    const ran = path.join(repo.root, "hooks-ran");
    mkdirSync(ran);
    const hooksDir = path.join(repo.dir, ".git", "hooks");
    for (const h of ["applypatch-msg", "pre-applypatch", "post-applypatch", "post-checkout", "pre-commit", "post-commit", "post-rewrite", "reference-transaction"]) {
      const f = path.join(hooksDir, h);
      writeFileSync(f, `#!/bin/sh\ntouch "${ran}/${h}"\nexit 0\n`);
      chmodSync(f, 0o755);
    }
    // Control: the hooks are live for a plain git, so the assertion below can fail.
    repo.git(["worktree", "add", "-q", "--detach", path.join(repo.root, "control"), "HEAD"]);
    expect(readdirSync(ran)).toContain("post-checkout");
    repo.git(["worktree", "remove", "--force", path.join(repo.root, "control")]);
    rmSync(ran, { recursive: true });
    mkdirSync(ran);

    const mirror = new LocalGitMirror({ path: repo.dir });
    const a = await applySeries({ mirror, stateDir: path.join(repo.root, "state"), patches, baseCommit: null, branch: "master", limits, name: "t" });
    expect(a.result.status).toBe("applied");
    await a.dispose();
    expect(readdirSync(ran)).toEqual([]);
  });

  it("refuses an unsafe patch before git sees it and creates no worktree", async () => {
    const { repo, patches } = setup();
    const evil = patches[1]!.message.raw!.toString("utf8").replaceAll("kernel/irq/bar.c", "../../etc/bar.c");
    const bad = { ...patches[1]!, message: patchMessage(Buffer.from(evil), "p2@example.org") };
    const stateDir = path.join(repo.root, "state");
    const mirror = new LocalGitMirror({ path: repo.dir });
    const a = await applySeries({ mirror, stateDir, patches: [patches[0]!, bad], baseCommit: null, branch: "master", limits, name: "t" });
    expect(a.result.status).toBe("skipped");
    expect(a.result.failed).toBeNull();
    expect(a.result.baseReason).toMatch(/^not applied: patch 2 \(p2@example\.org\) is unsafe: .*"a\/\.\.\/\.\.\/etc\/bar\.c".*"\.\." component/);
    expect(a.unsafe[0]?.problems.map((p) => p.kind)).toContain("dot-dot");
    expect(existsSync(path.join(stateDir, "worktrees"))).toBe(false);
  });

  it("catches a hostile diff hidden where the decoded text does not show it (git mailinfo view)", async () => {
    const { repo, patches } = setup();
    const raw = patches[0]!.message.raw!.toString("utf8");
    const sep = raw.indexOf("\n\n");
    const body = raw.slice(sep + 2).replaceAll("drivers/foo.c", ".git/hooks/foo.c");
    // The diff travels base64-encoded in an application/octet-stream part: MailMessage has no
    // text for it, but git mailinfo decodes it and git apply would write it.
    const b64 = Buffer.from(body).toString("base64").replace(/.{76}/g, "$&\n");
    const head = raw.slice(0, sep).replace(/^Content-Type:.*\n?|^Content-Transfer-Encoding:.*\n?/gm, "");
    const mime = `${head}\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain\n\nsee attachment\n\n--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${b64}\n--b1--\n`;
    const p = { index: 1, message: { ...patchMessage(Buffer.from(mime), "p1@example.org"), text: "see attachment\n" } };
    const stateDir = path.join(repo.root, "state");
    const a = await applySeries({ mirror: new LocalGitMirror({ path: repo.dir }), stateDir, patches: [p], baseCommit: null, branch: "master", limits, name: "t" });
    expect(a.result.status).toBe("skipped");
    expect(a.unsafe[0]?.problems.map((x) => x.kind)).toContain("git-dir");
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(existsSync(path.join(repo.dir, ".git", "hooks", "foo.c"))).toBe(false);
  });

  it("keeps a body line starting with 'From ' inside its mail (mboxrd)", async () => {
    const repo = makeRepo({ "a.txt": "one\n" });
    repos.push(repo);
    const base = repo.git(["rev-parse", "HEAD"]).trim();
    repo.write("a.txt", "two\n");
    repo.commit("a: two\n\nFrom Mon Jan  1 00:00:00 2001 this line looks like an mbox separator.\n>From quoted too.\n");
    const raw = splitMbox(repo.git(["format-patch", "--stdout", "-1"]))[0]!;
    repo.git(["reset", "-q", "--hard", base]);
    const mirror = new LocalGitMirror({ path: repo.dir });
    const a = await applySeries({ mirror, stateDir: path.join(repo.root, "state"), patches: [{ index: 1, message: patchMessage(raw, "m@x") }], baseCommit: null, branch: "master", limits, name: "t" });
    expect(a.result.status).toBe("applied");
    expect(repo.git(["log", "-1", "--format=%B", a.commits[0]!])).toContain("From Mon Jan  1 00:00:00 2001 this line looks like an mbox separator.\n>From quoted too.");
    await a.dispose();
  });

  it("skips with a reason when the branch is not in the mirror or there is nothing to apply", async () => {
    const { repo, patches } = setup();
    const mirror = new LocalGitMirror({ path: repo.dir });
    const stateDir = path.join(repo.root, "state");
    const a = await applySeries({ mirror, stateDir, patches, baseCommit: null, branch: "no-such-branch", limits, name: "t" });
    expect(a.result).toMatchObject({ status: "skipped", base: null });
    expect(a.result.baseReason).toMatch(/no-such-branch is not in the mirror/);
    const b = await applySeries({ mirror, stateDir, patches: [], baseCommit: null, branch: "master", limits, name: "t" });
    expect(b.result.baseReason).toBe("no patches to apply");
    const c = await applySeries({ mirror, stateDir, patches, missing: [3, 4], baseCommit: null, branch: "master", limits, name: "t" });
    expect(c.result).toEqual({ status: "skipped", base: null, baseReason: "series incomplete: patches 3, 4 missing", failed: null });
    expect(existsSync(path.join(stateDir, "worktrees"))).toBe(false);
  });
});
