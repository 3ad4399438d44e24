import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/errors.js";
import { gitEnv, gitMailText, runGit } from "../../src/kernel/io/run-git.js";
import { makeRepo, type TempRepo } from "./git-fixture.js";

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

function repo(): TempRepo {
  const r = makeRepo({ "a.txt": "a\n" });
  repos.push(r);
  return r;
}

describe("runGit", () => {
  it("ignores GIT_* variables of the caller's environment", async () => {
    const r = repo();
    const env = { ...process.env, GIT_DIR: "/nonexistent/.git", GIT_WORK_TREE: "/", GIT_INDEX_FILE: "/tmp/x" };
    const out = await runGit(["rev-parse", "--git-dir"], { cwd: r.dir, env });
    expect(out.stdout.trim()).toBe(".git");
    const e = gitEnv(env);
    expect(e["GIT_DIR"]).toBeUndefined();
    expect(e).toMatchObject({ GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_COMMITTER_NAME: "irqtriage", LC_ALL: "C" });
  });

  it("disables hooks and forbids every transport unless file:// is asked for", async () => {
    const r = repo();
    const hooks = await runGit(["config", "core.hooksPath"], { cwd: r.dir });
    expect(hooks.stdout.trim()).toBe("/dev/null");
    const url = `file://${r.dir}`;
    await expect(runGit(["ls-remote", url], { cwd: r.dir })).rejects.toThrow(/not allowed/);
    const ok = await runGit(["ls-remote", url], { cwd: r.dir, allowFileProtocol: true });
    expect(ok.stdout).toMatch(/refs\/heads\/master/);
    // https is refused before any connection is tried (no network is needed for this test).
    await expect(runGit(["ls-remote", "https://example.invalid/x.git"], { cwd: r.dir, allowFileProtocol: true })).rejects.toThrow(/not allowed/);
  });

  it("passes stdin and captures stdout", async () => {
    const r = repo();
    const out = await runGit(["hash-object", "--stdin"], { cwd: r.dir, input: "hello\n" });
    expect(out.stdout.trim()).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
  });

  it("throws ExternalError with git's stderr, unless the code is allowed", async () => {
    const r = repo();
    const err = await runGit(["cat-file", "-p", "nonexistent"], { cwd: r.dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as ExternalError).detail).toMatch(/Not a valid object name nonexistent/);
    expect((err as ExternalError).message).toMatch(/^git cat-file -p nonexistent failed \(exit 128\)/);
    const ok = await runGit(["cat-file", "-e", "nonexistent"], { cwd: r.dir, okCodes: [0, 128] });
    expect(ok.code).toBe(128);
  });

  it("gives a failed git a mail-safe text: git's error lines without any local path (issue 12)", async () => {
    const r = repo();
    const msg = path.join(r.root, "scratch", "0.msg");
    const err = (await runGit(["mailinfo", "--no-scissors", msg, path.join(r.root, "scratch", "0.patch")], { cwd: r.dir, input: "x" }).catch((e: unknown) => e)) as ExternalError;
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toContain(r.root); // the log keeps the detail ...
    expect(err.mailText).toMatch(/^git mailinfo failed \(exit \d+\)/); // ... a mail gets this
    expect(err.mailText).not.toContain(r.root);
    expect(err.mailText).not.toMatch(/\/tmp\//);
    expect(gitMailText(["am"], "/srv/state/worktrees/x", 128, "fatal: could not open '/srv/state/worktrees/x/.git/rebase-apply/0001' for reading\nerror: a NUL byte in commit log message not allowed.")).toBe(
      "git am failed (exit 128): fatal: could not open './.git/rebase-apply/0001' for reading error: a NUL byte in commit log message not allowed.",
    );
    expect(gitMailText(["apply"], "/w", 1, "error: /var/lib/other/place/file.c: does not exist")).toBe("git apply failed (exit 1): error: …/file.c: does not exist");
  });

  it("stops git on timeout and on abort", async () => {
    const r = repo();
    // git blocks opening a FIFO nobody writes to: a git that runs until it is stopped.
    const fifo = path.join(r.root, "fifo");
    execFileSync("mkfifo", [fifo]);
    const t0 = Date.now();
    await expect(runGit(["hash-object", fifo], { cwd: r.dir, timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const ac = new AbortController();
    ac.abort();
    await expect(runGit(["log"], { cwd: r.dir, signal: ac.signal })).rejects.toThrow(/aborted before start/);
    const ac2 = new AbortController();
    const p = runGit(["hash-object", fifo], { cwd: r.dir, signal: ac2.signal, timeoutMs: 60_000 });
    setTimeout(() => ac2.abort(), 100);
    await expect(p).rejects.toThrow(/: aborted$/);
  });

  it("reports a missing working directory as ExternalError", async () => {
    const r = repo();
    await expect(runGit(["status"], { cwd: path.join(r.root, "missing") })).rejects.toBeInstanceOf(ExternalError);
  });
});
