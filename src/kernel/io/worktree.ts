import { randomBytes, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../../log/logger.js";
import type { LocalGitMirror } from "./local-git-mirror.js";

/**
 * Throwaway worktrees of the mirror, one per series revision, under `<stateDir>/worktrees/`.
 *
 * Each worktree `<dir>` has an owner marker `<dir>.owner.json` written BEFORE the worktree exists
 * (so a directory without a live owner is always garbage) and removed AFTER it is gone. The marker
 * names the owning process (pid + a token per process start, because in a container the restarted
 * daemon often gets the same pid as the one that crashed) and the mirror, so
 * cleanupStaleWorktrees can remove leftovers after a crash without touching live ones.
 */
export interface Worktree {
  /** Absolute path of the checkout. */
  readonly path: string;
  /** The directory name under `<stateDir>/worktrees/`. */
  readonly name: string;
  /** Whether only some files are on disk (sparse checkout); false after materialize(). */
  readonly sparse: boolean;
  /** Removes the checkout, its registration in the mirror, and the marker. Idempotent. */
  dispose(): Promise<void>;
  /**
   * Fills a sparse worktree with every file of its HEAD (`git sparse-checkout disable`), keeping
   * what was committed or changed in it. No-op when already full. Idempotent.
   */
  materialize(): Promise<void>;
}

export interface OwnerMarker {
  pid: number;
  token: string;
  host: string;
  mirror: string;
  createdAt: string;
}

/** Identifies this process start (see above); exported for tests that fake another owner. */
export const PROCESS_TOKEN = randomUUID();

export function worktreesDir(stateDir: string): string {
  return path.join(path.resolve(stateDir), "worktrees");
}

export function markerPath(worktreePath: string): string {
  return `${worktreePath}.owner.json`;
}

/** A directory name from a series name: no separators, dots or dashes at the start, bounded. */
export function safeWorktreeName(name: string): string {
  const base = name
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+/, "")
    .slice(0, 60)
    .replace(/[-.]+$/, "");
  return `${base || "series"}-${randomBytes(4).toString("hex")}`;
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the process that wrote `m` is still running (and is not a previous start of us). */
export function ownerIsAlive(m: OwnerMarker): boolean {
  if (m.host !== os.hostname()) return true; // a shared state dir: never judge another host's pids
  if (m.pid === process.pid) return m.token === PROCESS_TOKEN;
  return isProcessAlive(m.pid);
}

export interface CreateWorktreeOptions {
  mirror: LocalGitMirror;
  stateDir: string;
  /** Human part of the directory name, e.g. lineage + version. */
  name: string;
  /** Commit to check out (detached). */
  base: string;
  /**
   * Repository paths to materialize (e.g. "kernel/irq/irqdomain.c"); absent: the whole tree.
   * See populateWorktree.
   */
  sparse?: readonly string[];
  log?: Logger;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A worktree folder that is named and owned (marker written) but not checked out yet. */
export interface ReservedWorktree {
  readonly path: string;
  readonly name: string;
  /** Removes whatever exists of it (checkout, registration, marker). Idempotent. */
  dispose(): Promise<void>;
  /** `git worktree add` at `base` (sparse when asked); on failure the reservation is disposed. */
  populate(opts: Pick<CreateWorktreeOptions, "base" | "sparse" | "signal" | "timeoutMs">): Promise<Worktree>;
}

/**
 * Names the worktree and writes its owner marker, without touching git yet: callers may keep
 * scratch files next to it (`<path>.mailinfo`) under the same owner before the checkout exists.
 */
export async function reserveWorktree(opts: Pick<CreateWorktreeOptions, "mirror" | "stateDir" | "name" | "log">): Promise<ReservedWorktree> {
  const dir = worktreesDir(opts.stateDir);
  await fs.mkdir(dir, { recursive: true });
  const name = safeWorktreeName(opts.name);
  const wtPath = path.join(dir, name);
  const marker: OwnerMarker = {
    pid: process.pid,
    token: PROCESS_TOKEN,
    host: os.hostname(),
    mirror: opts.mirror.path,
    createdAt: new Date().toISOString(),
  };
  // "wx": two processes never share a name, even if the random suffix collided.
  await fs.writeFile(markerPath(wtPath), JSON.stringify(marker) + "\n", { flag: "wx" });
  let disposed = false;
  const dispose = once(async () => {
    disposed = true;
    await removeWorktree(opts.mirror, wtPath, opts.log);
  });
  return {
    path: wtPath,
    name,
    dispose,
    populate: async (p) => {
      if (disposed) throw new Error(`worktree ${wtPath} was already removed`);
      let sparse: boolean;
      try {
        sparse = await populateWorktree(opts.mirror, wtPath, p);
      } catch (e) {
        await dispose();
        throw e;
      }
      opts.log?.debug({ worktree: wtPath, base: p.base, sparse: sparse ? p.sparse?.length : false }, "worktree created");
      let filling: Promise<void> | null = null;
      const timeoutMs = p.timeoutMs ?? 600_000;
      return {
        path: wtPath,
        name,
        get sparse() {
          return sparse;
        },
        dispose,
        materialize: () => {
          if (disposed) return Promise.reject(new Error(`worktree ${wtPath} was already removed`));
          if (!sparse) return Promise.resolve();
          // One fill at a time; a failed fill may be retried by the next call.
          filling ??= opts.mirror
            .git(["sparse-checkout", "disable"], { cwd: wtPath, timeoutMs })
            .then(() => {
              sparse = false;
              opts.log?.debug({ worktree: wtPath }, "worktree materialized");
            })
            .finally(() => {
              filling = null;
            });
          return filling;
        },
      };
    },
  };
}

export async function createWorktree(opts: CreateWorktreeOptions): Promise<Worktree> {
  const reserved = await reserveWorktree(opts);
  return reserved.populate({
    base: opts.base,
    ...(opts.sparse ? { sparse: opts.sparse } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

/** More patterns than this and a full checkout is cheaper than git matching each path against each pattern. */
export const MAX_SPARSE_PATHS = 2000;

/** Always present in a sparse worktree: what later stages read without a series touching it. */
export const ALWAYS_SPARSE = ["MAINTAINERS", "Makefile"] as const;

/**
 * A non-cone sparse-checkout pattern matching exactly one repository path: anchored with "/",
 * every wildcard, bracket, backslash and space escaped. Null for a path no pattern line can
 * hold (control characters: a newline would split it into two patterns).
 */
export function sparsePattern(repoPath: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (repoPath === "" || /[\x00-\x1f\x7f]/.test(repoPath)) return null;
  const p = repoPath.replace(/^\/+/, "");
  if (p === "") return null;
  return "/" + p.replace(/[\\*?[\] !#]/g, (c) => "\\" + c);
}

/**
 * Full checkout: `git worktree add --detach`. Sparse: `git worktree add --no-checkout --detach`
 * (HEAD only, no index), then in the worktree `git sparse-checkout set --no-cone <patterns>`
 * and `git read-tree -mu HEAD`, which writes an index with every entry of the base (those outside
 * the patterns get the skip-worktree bit) but only the listed files on disk: ~3 s instead of
 * ~60 s on the 78k-file Linux mirror. git am, reset and apply work on such a tree; files outside
 * the patterns that a patch touches anyway are read from the index by git.
 *
 * Side effect on the mirror: the first `git sparse-checkout set` in any worktree sets
 * `extensions.worktreeConfig=true` in the mirror's .git/config, so that core.sparseCheckout
 * lives in the worktree's own `config.worktree` and the mirror's checkout stays full. That is
 * a one-time, harmless change (git >= 2.20 honours it; the main checkout is not affected).
 *
 * Returns whether the worktree is sparse.
 */
async function populateWorktree(
  mirror: LocalGitMirror,
  wtPath: string,
  opts: Pick<CreateWorktreeOptions, "base" | "sparse" | "signal" | "timeoutMs">,
): Promise<boolean> {
  const run = { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs: opts.timeoutMs ?? 600_000 };
  const patterns = opts.sparse ? [...new Set([...ALWAYS_SPARSE, ...opts.sparse].map(sparsePattern).filter((p): p is string => p !== null))] : null;
  if (!patterns || patterns.length > MAX_SPARSE_PATHS + ALWAYS_SPARSE.length) {
    await mirror.git(["worktree", "add", "--detach", "--quiet", "--", wtPath, opts.base], run);
    return false;
  }
  await mirror.git(["worktree", "add", "--no-checkout", "--detach", "--quiet", "--", wtPath, opts.base], run);
  // --stdin: patterns never go through argv parsing, and many of them fit. The very first set
  // on a mirror writes its .git/config (extensions.worktreeConfig); two first applies at once
  // may meet on config.lock, so that one error is retried.
  for (let attempt = 1; ; attempt++) {
    try {
      await mirror.git(["sparse-checkout", "set", "--no-cone", "--stdin"], { ...run, cwd: wtPath, input: patterns.join("\n") + "\n" });
      break;
    } catch (e) {
      if (attempt >= 3 || !/could not lock config file|config\.lock/.test(`${(e as Error).message} ${String((e as { detail?: unknown }).detail ?? "")}`)) throw e;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  await mirror.git(["read-tree", "-mu", "HEAD"], { ...run, cwd: wtPath });
  return true;
}

/**
 * Removes a worktree by path: through git when the mirror knows it, by deleting the directory
 * otherwise (a crash during `worktree add`), then prunes the mirror's registrations and deletes
 * the marker. Only paths directly inside a `worktrees/` folder are ever deleted.
 */
export async function removeWorktree(mirror: LocalGitMirror | null, wtPath: string, log?: Logger): Promise<void> {
  if (path.basename(path.dirname(wtPath)) !== "worktrees") {
    throw new Error(`refusing to remove ${wtPath}: not inside a worktrees/ folder`);
  }
  if (mirror) {
    try {
      await mirror.git(["worktree", "remove", "--force", "--force", "--", wtPath], { okCodes: [0, 128] });
    } catch (e) {
      log?.warn({ err: e, worktree: wtPath }, "git worktree remove failed; deleting the folder");
    }
  }
  const st = await fs.lstat(wtPath).catch(() => null);
  if (st?.isSymbolicLink()) await fs.unlink(wtPath);
  else if (st) await fs.rm(wtPath, { recursive: true, force: true });
  if (mirror) await mirror.git(["worktree", "prune"]).catch(() => undefined);
  await fs.rm(markerPath(wtPath), { force: true });
  log?.debug({ worktree: wtPath }, "worktree removed");
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}
