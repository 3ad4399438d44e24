import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/validate-config.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { silentLogger } from "../../src/log/logger.js";
import { fetchTreeRef } from "../../src/mail-commands/io/fetch-tree-ref.js";
import { rulesDir } from "../../src/package-root.js";
import { loadRelevanceRules } from "../../src/patch/io/load-relevance-rules.js";
import { triageMessages } from "../../src/pipeline/triage-messages.js";
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

describe("#irqtriage test <tree> <ref>: fetchTreeRef + the pipeline on the fetched base", () => {
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
    const master = git(linus, "rev-parse", "master");
    // The series under test changes msi.c, which exists only on irq/core.
    git(dir, "clone", "-q", "-b", "irq/core", linus, "dev");
    const dev = path.join(dir, "dev");
    await writeFile(path.join(dev, "msi.c"), "int msi;\nvoid msi_dispose(void);\n");
    git(dev, "commit", "-q", "-am", "msi: dispose mappings");
    const patchText = git(dev, "format-patch", "-1", "--stdout").replace(/^From [0-9a-f]{40} .*\n/, "") + "\n";
    const msg = await toMailMessage(Buffer.from(patchText));
    const trees = [{ name: "linus", url: linus }];
    const stateDir = path.join(dir, "state");
    const common = { stateDir, mirrorPath: path.join(dir, "mirror"), trees, treeName: "linus", log: silentLogger() };

    const ok = await fetchTreeRef({ ...common, ref: "irq/core" });
    expect(ok).toMatchObject({ ok: true, base: irqCore, tree: "linus" });
    const onMaster = await fetchTreeRef({ ...common, ref: "master" });
    expect(onMaster).toMatchObject({ ok: true, base: master });
    const missing = await fetchTreeRef({ ...common, ref: "no-such-branch" });
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.why).toMatch(/cannot get no-such-branch of linus/);
      expect(missing.why).not.toContain(dir); // no local path in what a reply may quote
    }
    const bySha = await fetchTreeRef({ ...common, ref: irqCore.slice(0, 12) });
    expect(bySha).toMatchObject({ ok: true, base: irqCore });
    await expect(fetchTreeRef({ ...common, treeName: "evil", ref: "master" })).rejects.toThrow(/not configured/);
    await expect(fetchTreeRef({ ...common, ref: "main;rm -rf /" })).rejects.toThrow(/unsafe ref/);

    // The revision applied on each fetched base by the pipeline itself.
    const v = validateConfig({ stateDir, mirror: { path: path.join(dir, "mirror") } });
    if (!v.ok) throw new Error(v.problems.join("; "));
    const rules = await loadRelevanceRules(rulesDir);
    const repo = ok.ok ? ok.repo : "";
    const on = async (base: string) =>
      (
        await triageMessages([msg], {
          config: v.config,
          log: silentLogger(),
          // Every path counts as relevant here: the test is about the base, not about relevance.
          rules: { ...rules, matchPath: () => "*.c" },
          mirror: new LocalGitMirror({ path: path.join(dir, "mirror") }),
          stages: [],
          testOn: { lineage: msg.msgid, mirror: new LocalGitMirror({ path: repo }), base, label: "linus" },
        })
      ).revisions[0]?.result.apply;
    expect(await on(irqCore)).toMatchObject({ status: "applied", base: irqCore });
    expect(await on(master)).toMatchObject({ status: "failed", base: master });

    // The mirror got no refs, no worktrees, no objects of irq/core.
    const mirror = path.join(dir, "mirror");
    expect(git(mirror, "for-each-ref", "--format=%(refname)")).not.toContain("refs/trees");
    expect(git(mirror, "worktree", "list").split("\n")).toHaveLength(1);
    expect(() => git(mirror, "cat-file", "-e", `${irqCore}^{commit}`)).toThrow();
    expect(existsSync(path.join(dir, "state", "trees.git", "objects", "info", "alternates"))).toBe(true);
  });
});
