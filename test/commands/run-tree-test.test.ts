import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runTreeTest } from "../../src/commands/run-tree-test.js";
import { silentLogger } from "../../src/log/logger.js";
import { toMailMessage } from "./command-mail-fixture.js";

let dir: string;
const git = (cwd: string, ...a: string[]) =>
  execFileSync("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.org", "-c", "init.defaultBranch=master", ...a], { cwd, encoding: "utf8" }).trim();

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-treetest-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("runTreeTest (#irqtriage test <tree> <ref>)", () => {
  it("fetches the configured tree's branch into the trees cache and applies the series there, leaving the mirror alone", async () => {
    const linus = path.join(dir, "linus");
    git(dir, "init", "-q", "linus");
    await writeFile(path.join(linus, "irqdomain.c"), "int a;\n");
    git(linus, "add", ".");
    git(linus, "commit", "-q", "-m", "base");
    git(dir, "clone", "-q", linus, "mirror");
    git(linus, "checkout", "-q", "-b", "irq/core");
    await writeFile(path.join(linus, "msi.c"), "int msi;\n");
    git(linus, "add", ".");
    git(linus, "commit", "-q", "-m", "irq/core: add msi.c");
    const irqCore = git(linus, "rev-parse", "HEAD");
    // The series under test changes msi.c, which exists only on irq/core.
    git(dir, "clone", "-q", "-b", "irq/core", linus, "dev");
    const dev = path.join(dir, "dev");
    await writeFile(path.join(dev, "msi.c"), "int msi;\nvoid msi_dispose(void);\n");
    git(dev, "commit", "-q", "-am", "msi: dispose mappings");
    const patchText = git(dev, "format-patch", "-1", "--stdout").replace(/^From [0-9a-f]{40} .*\n/, "") + "\n";
    const msg = await toMailMessage(Buffer.from(patchText));
    const patches = [{ index: 1, total: 1, message: msg }];
    const trees = [{ name: "linus", url: linus }];
    const common = { stateDir: path.join(dir, "state"), mirrorPath: path.join(dir, "mirror"), trees, treeName: "linus", patches, limits: { maxPatchBytes: 1 << 20 }, log: silentLogger() };

    const ok = await runTreeTest({ ...common, ref: "irq/core", name: "l1-v2" });
    expect(ok.base).toBe(irqCore);
    expect(ok.apply.status).toBe("applied");
    expect(ok.section.body).toContain(`applies cleanly on ${irqCore}`);

    const onMaster = await runTreeTest({ ...common, ref: "master", name: "l1-v2" });
    expect(onMaster.apply.status).toBe("failed");
    expect(onMaster.section.severity).toBe("problem");

    const missing = await runTreeTest({ ...common, ref: "no-such-branch", name: "l1-v2" });
    expect(missing.apply).toMatchObject({ status: "skipped", base: null });
    expect(missing.section.body).toMatch(/cannot get no-such-branch of linus/);

    const bySha = await runTreeTest({ ...common, ref: irqCore.slice(0, 12), name: "l1-v2" });
    expect(bySha.base).toBe(irqCore);

    await expect(runTreeTest({ ...common, treeName: "evil", ref: "master", name: "x" })).rejects.toThrow(/not configured/);
    await expect(runTreeTest({ ...common, ref: "main;rm -rf /", name: "x" })).rejects.toThrow(/unsafe ref/);

    // The mirror got no refs, no worktrees, no objects of irq/core.
    const mirror = path.join(dir, "mirror");
    expect(git(mirror, "for-each-ref", "--format=%(refname)")).not.toContain("refs/trees");
    expect(git(mirror, "worktree", "list").split("\n")).toHaveLength(1);
    expect(() => git(mirror, "cat-file", "-e", `${irqCore}^{commit}`)).toThrow();
    expect(existsSync(path.join(dir, "state", "trees.git", "objects", "info", "alternates"))).toBe(true);
  });
});
