import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { InputError } from "../errors.js";
import { applySeries, type SeriesPatchInput } from "../kernel/apply-series.js";
import { GitMirror } from "../kernel/git-mirror.js";
import type { Logger } from "../log/logger.js";
import type { SafetyLimits } from "../patch/check-patch-safety.js";
import type { ReportSection } from "../report/report-section.js";
import type { ApplyResult } from "../triage/triage-result.js";
import { checkRefName } from "./check-ref-name.js";
import type { TreeConfig } from "./commands-config.js";

const run = promisify(execFile);

export interface TreeTestOptions {
  /** `<stateDir>/trees.git` caches fetched trees (objects borrowed from the mirror). */
  stateDir: string;
  /** The kernel mirror whose objects the cache borrows (alternates), so a fetch is small. */
  mirrorPath: string | null;
  /** Configured trees; `treeName` must be one of them (looked up again here, not trusted from the job). */
  trees: readonly TreeConfig[];
  treeName: string;
  ref: string;
  patches: readonly SeriesPatchInput[];
  limits: SafetyLimits;
  /** Worktree name (lineage + version). */
  name: string;
  log: Logger;
  timeoutMs?: number;
}

export interface TreeTestResult {
  tree: string;
  ref: string;
  /** The commit the ref pointed to, or null when it could not be fetched. */
  base: string | null;
  apply: ApplyResult;
  section: ReportSection;
}

async function gitIn(cwd: string, args: string[], timeoutMs: number): Promise<string> {
  const env = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: "/nonexistent",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
  };
  const fixed = ["-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0", "-c", "protocol.allow=never"];
  // Only the transports a configured tree may use; ext:: and friends stay off.
  for (const p of ["file", "https", "ssh", "git"]) fixed.push("-c", `protocol.${p}.allow=always`);
  const { stdout } = await run("git", [...fixed, ...args], { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** `<stateDir>/trees.git`: a bare cache borrowing the mirror's objects; the mirror itself is never written. */
async function treesRepo(stateDir: string, mirrorPath: string | null, timeoutMs: number): Promise<string> {
  const dir = path.join(stateDir, "trees.git");
  if (!existsSync(path.join(dir, "HEAD"))) {
    await mkdir(dir, { recursive: true });
    await gitIn(dir, ["init", "--quiet", "--bare"], timeoutMs);
  }
  if (mirrorPath) {
    const objects = [path.join(mirrorPath, ".git", "objects"), path.join(mirrorPath, "objects")].find((d) => existsSync(d));
    if (objects) await writeFile(path.join(dir, "objects", "info", "alternates"), `${path.resolve(objects)}\n`);
  }
  return dir;
}

/**
 * `#irqtriage test <tree> <ref>`: fetch `ref` of a configured tree into the trees cache and apply
 * the revision's patches on it in a throwaway worktree (the kernel part's applySeries: safety
 * checks, git am --3way). The tree URL comes from the config by name; the ref is checked again;
 * git gets both as separate arguments after "--", never through a shell.
 */
export async function runTreeTest(o: TreeTestOptions): Promise<TreeTestResult> {
  const timeoutMs = o.timeoutMs ?? 600_000;
  const tree = o.trees.find((t) => t.name === o.treeName);
  if (!tree) throw new InputError(`tree ${o.treeName} is not configured`, "commands.trees");
  const check = checkRefName(o.ref);
  if (!check.ok) throw new InputError(`unsafe ref: ${check.reason}`, "commands");
  const log = o.log.child({ tree: tree.name, ref: o.ref });
  const repo = await treesRepo(o.stateDir, o.mirrorPath, timeoutMs);
  const local = `refs/trees/${tree.name}/${o.ref}`;

  let base: string | null = null;
  let why = "";
  const resolve = (rev: string) => gitIn(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], timeoutMs).catch(() => null);
  try {
    if (check.kind === "commit") {
      base = await resolve(o.ref);
      if (!base) {
        await gitIn(repo, ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--", tree.url, `+refs/heads/*:refs/trees/${tree.name}/*`], timeoutMs);
        base = await resolve(o.ref);
      }
    } else {
      await gitIn(repo, ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--", tree.url, `+refs/heads/${o.ref}:${local}`], timeoutMs);
      base = await resolve(local);
    }
  } catch (err) {
    // Never echo credentials of a configured URL.
    why = ((err as { stderr?: string }).stderr || (err as Error).message).replace(/\/\/[^/@\s]+@/g, "//***@").split("\n")[0] ?? "";
    log.warn({ why }, "tree fetch failed");
  }
  if (!base) {
    const apply: ApplyResult = { status: "skipped", base: null, baseReason: `cannot get ${o.ref} of ${tree.name}${why ? ` (${why.trim()})` : ""}`, failed: null };
    return { tree: tree.name, ref: o.ref, base: null, apply, section: section(tree.name, o.ref, apply) };
  }

  const applied = await applySeries({
    mirror: new GitMirror({ path: repo, log }),
    stateDir: o.stateDir,
    patches: o.patches,
    baseCommit: null,
    branch: base,
    limits: o.limits,
    name: `test-${o.name}`,
    log,
    timeoutMs,
  });
  try {
    log.info({ base, status: applied.result.status }, "tree test applied");
    return { tree: tree.name, ref: o.ref, base, apply: applied.result, section: section(tree.name, o.ref, applied.result) };
  } finally {
    await applied.dispose();
  }
}

function section(tree: string, ref: string, a: ApplyResult): ReportSection {
  const lines = [`Requested test on ${tree} ${ref}:`];
  if (a.status === "applied") lines.push(`applies cleanly on ${a.base ?? "?"}.`);
  else if (a.status === "failed" && a.failed) lines.push(`does not apply on ${a.base ?? "?"}: patch ${a.failed.patch}, file ${a.failed.file}, hunk ${a.failed.hunk}.`);
  else lines.push(`not applied: ${a.baseReason ?? a.status}.`);
  return { stage: "commands", title: `Test on ${tree}`, body: lines.join("\n"), severity: a.status === "applied" ? "info" : "problem" };
}
