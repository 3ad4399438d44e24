import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupStaleWorktrees } from "../../src/kernel/io/cleanup-stale-worktrees.js";
import { LocalGitMirror } from "../../src/kernel/io/local-git-mirror.js";
import { createWorktree, markerPath, PROCESS_TOKEN, safeWorktreeName, type OwnerMarker } from "../../src/kernel/io/worktree.js";
import { makeRepo, type TempRepo } from "./git-fixture.js";

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

function setup(): { repo: TempRepo; mirror: LocalGitMirror; stateDir: string } {
  const repo = makeRepo({ "a.c": "int a;\n", "dir/b.c": "int b;\n" });
  repos.push(repo);
  return { repo, mirror: new LocalGitMirror({ path: repo.dir }), stateDir: path.join(repo.root, "state") };
}

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

function rewriteMarker(wtPath: string, patch: Partial<OwnerMarker>): void {
  const m = JSON.parse(readFileSync(markerPath(wtPath), "utf8")) as OwnerMarker;
  writeFileSync(markerPath(wtPath), JSON.stringify({ ...m, ...patch }));
}

function registered(repo: TempRepo): string[] {
  return repo
    .git(["worktree", "list", "--porcelain"])
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice("worktree ".length));
}

describe("worktrees", () => {
  it("checks out a detached worktree under <stateDir>/worktrees and removes it on dispose", async () => {
    const { repo, mirror, stateDir } = setup();
    const head = repo.git(["rev-parse", "HEAD"]).trim();
    const wt = await createWorktree({ mirror, stateDir, name: "<msg@id> v3/../x", base: head });
    expect(path.dirname(wt.path)).toBe(path.join(stateDir, "worktrees"));
    expect(wt.name).toMatch(/^msg-id-v3-.-x-[0-9a-f]{8}$/);
    expect(readFileSync(path.join(wt.path, "dir/b.c"), "utf8")).toBe("int b;\n");
    expect(repo.git(["-C", wt.path, "rev-parse", "HEAD"]).trim()).toBe(head);
    expect(repo.git(["-C", wt.path, "rev-parse", "--abbrev-ref", "HEAD"]).trim()).toBe("HEAD"); // detached
    const marker = JSON.parse(readFileSync(markerPath(wt.path), "utf8")) as OwnerMarker;
    expect(marker).toMatchObject({ pid: process.pid, token: PROCESS_TOKEN, mirror: repo.dir });
    expect(registered(repo)).toContain(wt.path);
    expect(repo.git(["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/master");

    await wt.dispose();
    expect(existsSync(wt.path)).toBe(false);
    expect(existsSync(markerPath(wt.path))).toBe(false);
    expect(registered(repo)).toEqual([repo.dir]);
  });

  it("cleanupStaleWorktrees removes worktrees of dead owners and keeps live ones", async () => {
    const { repo, mirror, stateDir } = setup();
    const head = repo.git(["rev-parse", "HEAD"]).trim();
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const dead = await createWorktree({ mirror, stateDir, name: "dead", base: head });
      rewriteMarker(dead.path, { pid: deadPid() });
      const previousStart = await createWorktree({ mirror, stateDir, name: "restarted", base: head });
      rewriteMarker(previousStart.path, { token: "an-earlier-start-with-the-same-pid" });
      const other = await createWorktree({ mirror, stateDir, name: "other", base: head });
      rewriteMarker(other.path, { pid: sleeper.pid! });
      const mine = await createWorktree({ mirror, stateDir, name: "mine", base: head });
      // Scratch folders next to worktrees follow their worktree's owner.
      mkdirSync(`${mine.path}.mailinfo`);
      mkdirSync(`${dead.path}.mailinfo`);
      // A crash in the middle of `git worktree add`: a folder that git does not know, no marker.
      const orphan = path.join(stateDir, "worktrees", "orphan-0000");
      mkdirSync(path.join(orphan, "sub"), { recursive: true });
      writeFileSync(path.join(orphan, "sub", "f"), "x");
      // A marker whose worktree is already gone.
      writeFileSync(path.join(stateDir, "worktrees", "gone-1111.owner.json"), JSON.stringify({ pid: deadPid(), token: "t", host: os.hostname(), mirror: repo.dir, createdAt: "" }));
      // Simulate the crash: the mirror's registration of `dead` stays, its owner is gone.
      expect(registered(repo)).toContain(dead.path);

      const report = await cleanupStaleWorktrees(stateDir, { mirror });
      expect(report.removed.sort()).toEqual([dead.path, `${dead.path}.mailinfo`, previousStart.path, orphan, path.join(stateDir, "worktrees", "gone-1111")].sort());
      expect(report.kept.sort()).toEqual([other.path, mine.path, `${mine.path}.mailinfo`].sort());
      expect(readdirSync(path.join(stateDir, "worktrees")).sort()).toEqual(
        [other.name, `${other.name}.owner.json`, mine.name, `${mine.name}.owner.json`, `${mine.name}.mailinfo`].sort(),
      );
      expect(registered(repo).sort()).toEqual([repo.dir, other.path, mine.path].sort());
      expect(existsSync(path.join(other.path, "a.c"))).toBe(true);
      await other.dispose();
      await mine.dispose();
    } finally {
      sleeper.kill();
    }
  });

  it("cleans up after a real crash: a process killed with SIGKILL while holding a worktree", async () => {
    const { repo, stateDir } = setup();
    // The child runs the built code (dist/, built by the global setup) like the daemon would.
    const dist = new URL("../../dist/kernel/io/", import.meta.url).href;
    const script = `
      const { LocalGitMirror } = await import(${JSON.stringify(dist + "local-git-mirror.js")});
      const { createWorktree } = await import(${JSON.stringify(dist + "worktree.js")});
      const wt = await createWorktree({ mirror: new LocalGitMirror({ path: ${JSON.stringify(repo.dir)} }), stateDir: ${JSON.stringify(stateDir)}, name: "crashing", base: "HEAD" });
      process.stdout.write(wt.path + "\\n");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const wtPath = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("\n")) resolve(out.trim());
      });
      child.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    expect(existsSync(path.join(wtPath, "a.c"))).toBe(true);
    // While the owner runs, its worktree is left alone.
    expect((await cleanupStaleWorktrees(stateDir)).kept).toEqual([wtPath]);
    const exited = new Promise((r) => child.on("exit", r));
    child.kill("SIGKILL");
    await exited;
    const report = await cleanupStaleWorktrees(stateDir);
    expect(report.removed).toEqual([wtPath]);
    expect(existsSync(wtPath)).toBe(false);
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
    expect(registered(repo)).toEqual([repo.dir]);
  });

  it("cleanupStaleWorktrees finds the mirror from the marker when none is given", async () => {
    const { repo, mirror, stateDir } = setup();
    const wt = await createWorktree({ mirror, stateDir, name: "crash", base: "HEAD" });
    rewriteMarker(wt.path, { pid: deadPid() });
    const report = await cleanupStaleWorktrees(stateDir);
    expect(report.removed).toEqual([wt.path]);
    expect(registered(repo)).toEqual([repo.dir]);
  });

  it("cleanupStaleWorktrees is a no-op without a worktrees folder", async () => {
    const { stateDir } = setup();
    expect(await cleanupStaleWorktrees(stateDir)).toEqual({ removed: [], kept: [] });
  });

  it("removes the marker when the base does not exist", async () => {
    const { mirror, stateDir } = setup();
    await expect(createWorktree({ mirror, stateDir, name: "x", base: "0".repeat(40) })).rejects.toThrow(/git worktree add/);
    expect(readdirSync(path.join(stateDir, "worktrees"))).toEqual([]);
  });

  it("makes safe, distinct names", () => {
    const a = safeWorktreeName("../../etc/passwd");
    expect(a).toMatch(/^etc-passwd-[0-9a-f]{8}$/);
    expect(safeWorktreeName("")).toMatch(/^series-[0-9a-f]{8}$/);
    expect(safeWorktreeName("x")).not.toBe(safeWorktreeName("x"));
    expect(safeWorktreeName("y".repeat(500)).length).toBeLessThanOrEqual(69);
  });
});
