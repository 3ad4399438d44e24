import { cp, mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gitEnv, runGit } from "../kernel/io/run-git.js";

const execFileP = promisify(execFile);

/** Tag marking a complete demo mirror (the import commit succeeded). */
const DONE_TAG = "demo-base";

/**
 * Turn the shipped kernel-shaped tree (fixtures/kernel-tree) into a git mirror at `dest`, once.
 * The commit has a fixed author, committer and date, so its id is the same on every machine and
 * the fixture mails can name it in a `base-commit:` trailer.
 */
export async function ensureDemoMirror(sourceTree: string, dest: string): Promise<string> {
  try {
    await runGit(["rev-parse", "-q", "--verify", `refs/tags/${DONE_TAG}`], { cwd: dest });
    return dest;
  } catch {
    // not there yet, or half made by a crashed run: build it afresh
  }
  await rm(dest, { recursive: true, force: true });
  await mkdir(path.dirname(dest), { recursive: true });
  await stat(sourceTree);
  await cp(sourceTree, dest, { recursive: true });
  // runGit pins the committer to the bot and the date to now; the demo base must be
  // reproducible, so this one commit of our own fixture tree sets both explicitly.
  const env = {
    ...gitEnv(),
    GIT_AUTHOR_NAME: "irqtriage demo",
    GIT_AUTHOR_EMAIL: "demo@irqtriage.invalid",
    GIT_COMMITTER_NAME: "irqtriage demo",
    GIT_COMMITTER_EMAIL: "demo@irqtriage.invalid",
    GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
  };
  await runGit(["init", "-q", "-b", "master"], { cwd: dest });
  await runGit(["add", "-A"], { cwd: dest });
  await execFileP("git", ["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Demo kernel tree for irqtriage"], { cwd: dest, env });
  await runGit(["tag", DONE_TAG], { cwd: dest });
  return dest;
}
