import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TreeConfig } from "../../config/sections/commands.js";
import { InputError } from "../../errors.js";
import { runGit } from "../../kernel/io/run-git.js";
import type { Logger } from "../../log/logger.js";
import { checkRefName } from "../check-ref-name.js";

export interface FetchTreeRefOptions {
  /** `<stateDir>/trees.git` caches fetched trees (objects borrowed from the mirror). */
  stateDir: string;
  /** The kernel mirror whose objects the cache borrows (alternates), so a fetch is small. */
  mirrorPath: string | null;
  /** Configured trees; `treeName` must be one of them (looked up again here, not trusted from the job). */
  trees: readonly TreeConfig[];
  treeName: string;
  ref: string;
  log: Logger;
  timeoutMs?: number;
}

export type FetchedTree = { ok: true; repo: string; tree: string; ref: string; base: string } | { ok: false; tree: string; ref: string; why: string };

/** Only the transports a configured tree may use; ext:: and friends stay off. */
const PROTOCOLS = ["file", "https", "ssh", "git"] as const;

/** `<stateDir>/trees.git`: a bare cache borrowing the mirror's objects; the mirror itself is never written. */
async function treesRepo(stateDir: string, mirrorPath: string | null, timeoutMs: number): Promise<string> {
  const dir = path.join(stateDir, "trees.git");
  if (!existsSync(path.join(dir, "HEAD"))) {
    await mkdir(dir, { recursive: true });
    await runGit(["init", "--quiet", "--bare"], { cwd: dir, timeoutMs });
  }
  if (mirrorPath) {
    const objects = [path.join(mirrorPath, ".git", "objects"), path.join(mirrorPath, "objects")].find((d) => existsSync(d));
    if (objects) await writeFile(path.join(dir, "objects", "info", "alternates"), `${path.resolve(objects)}\n`);
  }
  return dir;
}

/**
 * `#irqtriage test <tree> <ref>`: fetch `ref` of a configured tree into the trees cache with
 * the hardened git runner. The tree URL comes from the config by name; the ref is checked
 * again; git gets both as separate arguments after "--", never through a shell.
 */
export async function fetchTreeRef(o: FetchTreeRefOptions): Promise<FetchedTree> {
  const timeoutMs = o.timeoutMs ?? 600_000;
  const tree = o.trees.find((t) => t.name === o.treeName);
  if (!tree) throw new InputError(`tree ${o.treeName} is not configured`, "commands.trees");
  const check = checkRefName(o.ref);
  if (!check.ok) throw new InputError(`unsafe ref: ${check.reason}`, "commands");
  const log = o.log.child({ tree: tree.name, ref: o.ref });
  const repo = await treesRepo(o.stateDir, o.mirrorPath, timeoutMs);
  const git = (args: string[]) => runGit(args, { cwd: repo, timeoutMs, protocols: PROTOCOLS, okCodes: [0, 1, 128] });
  const resolve = async (rev: string): Promise<string | null> => {
    const r = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : null;
  };
  const fetch = async (refspec: string): Promise<string | null> => {
    const r = await git(["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--", tree.url, refspec]);
    // Never echo credentials of a configured URL, nor a local path.
    return r.code === 0 ? null : (r.stderr.trim().split("\n")[0] ?? "fetch failed").replace(/\/\/[^/@\s]+@/g, "//***@").replace(tree.url, tree.name);
  };
  let base: string | null = null;
  let why: string | null = null;
  if (check.kind === "commit") {
    base = await resolve(o.ref);
    if (!base) {
      why = await fetch(`+refs/heads/*:refs/trees/${tree.name}/*`);
      base = await resolve(o.ref);
    }
  } else {
    const local = `refs/trees/${tree.name}/${o.ref}`;
    why = await fetch(`+refs/heads/${o.ref}:${local}`);
    base = why ? null : await resolve(local);
  }
  if (!base) {
    log.warn({ why }, "tree fetch failed");
    return { ok: false, tree: tree.name, ref: o.ref, why: `cannot get ${o.ref} of ${tree.name}${why ? ` (${why})` : ""}` };
  }
  log.info({ base }, "tree fetched");
  return { ok: true, repo, tree: tree.name, ref: o.ref, base };
}
