import { promises as fs } from "node:fs";
import path from "node:path";
import type { Logger } from "../../log/logger.js";
import { LocalGitMirror } from "./local-git-mirror.js";
import { markerPath, ownerIsAlive, removeWorktree, worktreesDir, type OwnerMarker } from "./worktree.js";

export interface CleanupReport {
  /** Worktree paths removed (their owner is gone, or they never had one). */
  removed: string[];
  /** Worktree paths left alone because their owner still runs. */
  kept: string[];
}

function parseMarker(text: string): OwnerMarker | null {
  try {
    const m = JSON.parse(text) as Partial<OwnerMarker>;
    if (typeof m.pid === "number" && typeof m.token === "string" && typeof m.mirror === "string" && typeof m.host === "string") {
      return m as OwnerMarker;
    }
  } catch {
    // An unreadable marker (a crash mid-write) means nobody owns it.
  }
  return null;
}

/**
 * Removes worktrees a crashed run left under `<stateDir>/worktrees/` (call at start-up). A
 * worktree whose marker names a live process is kept, so two processes sharing a state dir do
 * not delete each other's work. `mirror` is used for worktrees whose marker is unreadable and for
 * the final `git worktree prune`; otherwise the mirror recorded in each marker is used.
 */
export async function cleanupStaleWorktrees(
  stateDir: string,
  opts: { mirror?: LocalGitMirror; log?: Logger } = {},
): Promise<CleanupReport> {
  const dir = worktreesDir(stateDir);
  const report: CleanupReport = { removed: [], kept: [] };
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return report;

  const names = new Set<string>();
  for (const e of entries) {
    if (e.name.endsWith(".owner.json")) names.add(e.name.slice(0, -".owner.json".length));
    else if (e.isDirectory() || e.isSymbolicLink()) names.add(e.name);
  }
  const mirrors = new Map<string, LocalGitMirror>();
  if (opts.mirror) mirrors.set(opts.mirror.path, opts.mirror);

  for (const name of [...names].sort()) {
    const wtPath = path.join(dir, name);
    // `<worktree>.mailinfo` holds apply-series' scratch files: it belongs to that worktree's owner.
    const ownerPath = name.endsWith(".mailinfo") ? wtPath.slice(0, -".mailinfo".length) : wtPath;
    const text = await fs.readFile(markerPath(ownerPath), "utf8").catch(() => null);
    const marker = text === null ? null : parseMarker(text);
    if (marker && ownerIsAlive(marker)) {
      report.kept.push(wtPath);
      continue;
    }
    let mirror = opts.mirror ?? null;
    if (marker) {
      mirror = mirrors.get(marker.mirror) ?? null;
      if (!mirror && (await isDir(marker.mirror))) {
        mirror = new LocalGitMirror({ path: marker.mirror, ...(opts.log ? { log: opts.log } : {}) });
        mirrors.set(mirror.path, mirror);
      }
    }
    if (ownerPath !== wtPath) {
      await fs.rm(wtPath, { recursive: true, force: true });
      report.removed.push(wtPath);
      continue;
    }
    await removeWorktree(mirror, wtPath, opts.log);
    report.removed.push(wtPath);
    opts.log?.info({ worktree: wtPath, owner: marker?.pid ?? null }, "removed stale worktree");
  }
  for (const m of mirrors.values()) await m.git(["worktree", "prune"]).catch(() => undefined);
  return report;
}

async function isDir(p: string): Promise<boolean> {
  const st = await fs.stat(p).catch(() => null);
  return st?.isDirectory() ?? false;
}
