import { randomBytes, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../log/logger.js";
import type { GitMirror } from "./git-mirror.js";

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
  /** Removes the checkout, its registration in the mirror, and the marker. Idempotent. */
  dispose(): Promise<void>;
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

export async function createWorktree(opts: {
  mirror: GitMirror;
  stateDir: string;
  /** Human part of the directory name, e.g. lineage + version. */
  name: string;
  /** Commit to check out (detached). */
  base: string;
  log?: Logger;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<Worktree> {
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
  const wt: Worktree = {
    path: wtPath,
    name,
    dispose: once(() => removeWorktree(opts.mirror, wtPath, opts.log)),
  };
  try {
    await opts.mirror.git(["worktree", "add", "--detach", "--quiet", "--", wtPath, opts.base], {
      ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutMs: opts.timeoutMs ?? 600_000,
    });
  } catch (e) {
    await wt.dispose();
    throw e;
  }
  opts.log?.debug({ worktree: wtPath, base: opts.base }, "worktree created");
  return wt;
}

/**
 * Removes a worktree by path: through git when the mirror knows it, by deleting the directory
 * otherwise (a crash during `worktree add`), then prunes the mirror's registrations and deletes
 * the marker. Only paths directly inside a `worktrees/` folder are ever deleted.
 */
export async function removeWorktree(mirror: GitMirror | null, wtPath: string, log?: Logger): Promise<void> {
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
