import path from "node:path";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import type { GitMirror } from "../../types/git-mirror.js";
import { runGit, type GitOutput, type RunGitOptions } from "./run-git.js";

export interface LocalGitMirrorOptions {
  /** The mirror's working directory (or a bare repository). */
  path: string;
  log?: Logger;
  /** Per git call; default 120 s. */
  timeoutMs?: number;
  /** Base environment for git (sanitized by runGit); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Revisions the bot passes to git come from mails: only plain names, never options or ranges. */
const SAFE_REV = /^(?!-)[A-Za-z0-9._/@^{}~+-]{1,200}$/;

export function isSafeRev(rev: string): boolean {
  return SAFE_REV.test(rev) && !rev.includes("..") && !rev.includes("@{");
}

/**
 * The kernel mirror: a configured local git repository the bot only reads from. Everything that
 * writes (git am) happens in throwaway worktrees (worktree.ts); the mirror's HEAD, branches and
 * checkout are never touched. Tests point it at temp repositories.
 */
export class LocalGitMirror implements GitMirror {
  readonly path: string;
  readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(opts: LocalGitMirrorOptions) {
    this.path = path.resolve(opts.path);
    this.log = opts.log ?? silentLogger();
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.env = opts.env;
  }

  /** git in the mirror (or, with `cwd`, in one of its worktrees) with the bot's fixed options. */
  git(args: readonly string[], opts: Partial<RunGitOptions> = {}): Promise<GitOutput> {
    return runGit(args, {
      timeoutMs: this.timeoutMs,
      ...(this.env ? { env: this.env } : {}),
      ...opts,
      cwd: opts.cwd ?? this.path,
    });
  }

  /** Whether `rev` names a commit in the mirror (`git cat-file -e <rev>^{commit}`). */
  async hasCommit(rev: string): Promise<boolean> {
    if (!isSafeRev(rev)) return false;
    const r = await this.git(["cat-file", "-e", `${rev}^{commit}`], { okCodes: [0, 1, 128] });
    return r.code === 0;
  }

  /** Full commit id of `rev`, or null when the mirror has no such (or an ambiguous) commit. */
  async resolve(rev: string): Promise<string | null> {
    if (!isSafeRev(rev)) return null;
    const r = await this.git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], {
      okCodes: [0, 1, 128],
    });
    const sha = r.stdout.trim();
    return r.code === 0 && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : null;
  }

  /** A human name for a commit: `v6.1-debian-3-gabc1234`, or the abbreviated id without tags. */
  async describe(rev: string): Promise<string> {
    if (!isSafeRev(rev)) throw new Error(`unsafe revision ${JSON.stringify(rev)}`);
    const r = await this.git(["describe", "--tags", "--always", "--abbrev=12", "--end-of-options", rev]);
    return r.stdout.trim();
  }

  /** The bytes of `file` at `rev`, or null when the file does not exist there. */
  async readFile(rev: string, file: string): Promise<Buffer | null> {
    if (!isSafeRev(rev)) return null;
    if (file.startsWith("/") || file.includes("\0")) return null;
    const r = await this.git(["cat-file", "blob", `${rev}:${file}`], { okCodes: [0, 128] });
    return r.code === 0 ? r.stdoutBytes : null;
  }

  /** Paths changed between two commits (`git diff --name-only from to`), in git's order. */
  async changedFiles(from: string, to: string): Promise<string[]> {
    if (!isSafeRev(from) || !isSafeRev(to)) throw new Error("unsafe revision");
    const r = await this.git(["diff", "--name-only", "-z", "--no-renames", from, to, "--"]);
    return r.stdout.split("\0").filter((s) => s.length > 0);
  }

  /** Commit id HEAD of the mirror's own checkout points at (null on an unborn branch). */
  async head(): Promise<string | null> {
    return this.resolve("HEAD");
  }
}
