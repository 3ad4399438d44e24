import { addressKey } from "../../mail/format-address.js";
import type { Revision } from "../../mail/series-types.js";
import type { InMirror } from "../../mail/revision-status.js";
import type { LocalGitMirror } from "./local-git-mirror.js";

/** What the mirror's recent history holds, by patch-id and by "author\0subject". */
interface HistoryIndex {
  byPatchId: Map<string, string>;
  bySubject: Map<string, string>;
}

const cache = new Map<string, Promise<HistoryIndex>>();

// git patch-id reads a diff after a "From <sha>" (or "commit <sha>") line; a posted patch has none.
const FROM_LINE = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n";

async function patchIds(mirror: LocalGitMirror, text: string): Promise<Map<string, string>> {
  const r = await mirror.git(["patch-id", "--stable"], { input: text, maxOutputBytes: 16 << 20 });
  const out = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const [pid, commit] = line.trim().split(/\s+/);
    if (pid && commit) out.set(pid, commit);
  }
  return out;
}

/**
 * The last `depth` non-merge commits of `rev` (root commits left out: a mirror imported from a
 * tarball is one root commit holding the whole tree), indexed by patch-id and by author and
 * subject. Cached per commit for the life of the process.
 */
function historyIndex(mirror: LocalGitMirror, rev: string, depth: number): Promise<HistoryIndex> {
  const key = `${mirror.path}@${rev}#${depth}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const base = ["log", "--no-merges", "--min-parents=1", `-n${depth}`];
      const meta = await mirror.git([...base, "--format=%H%x00%ae%x00%s", rev, "--"], { maxOutputBytes: 64 << 20 });
      const bySubject = new Map<string, string>();
      for (const line of meta.stdout.split("\n")) {
        const [sha, email, subject] = line.split("\0");
        if (sha && email && subject) bySubject.set(`${email.toLowerCase()}\0${subject.trim()}`, sha);
      }
      let byPatchId = new Map<string, string>();
      if (bySubject.size) {
        const diffs = await mirror.git([...base, "-p", "--format=commit %H", rev, "--"], { maxOutputBytes: 512 << 20 });
        byPatchId = await patchIds(mirror, diffs.stdout);
      }
      return { byPatchId, bySubject };
    })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/**
 * Revisions whose every patch is already in the mirror's history on `rev`: the same
 * `git patch-id --stable`, or the same subject and author. Such a revision is "applied" and
 * gets no reply. Placeholders and pull requests are not looked up.
 */
export async function findInMirror(mirror: LocalGitMirror, rev: string, revisions: readonly Revision[], depth = 2000): Promise<InMirror> {
  const out = new Map<string, { commit: string; how: "patch-id" | "subject" }>();
  const candidates = revisions.filter((r) => !r.placeholder && !r.pull && r.patches.length > 0 && r.patches.every((p) => p.patch));
  if (!candidates.length) return out;
  const index = await historyIndex(mirror, rev, depth);
  if (!index.bySubject.size) return out;
  for (const r of candidates) {
    type Hit = { commit: string; how: "patch-id" | "subject" };
    let last: Hit | null = null;
    for (const p of r.patches) {
      const author = addressKey(p.message.from);
      const bySubject = index.bySubject.get(`${author}\0${p.subject.title.trim()}`);
      let found: Hit | null = bySubject ? { commit: bySubject, how: "subject" } : null;
      if (!found) {
        const ids = await patchIds(mirror, FROM_LINE + (p.patch?.diffText ?? ""));
        const pid = [...ids.keys()][0];
        const commit = pid ? index.byPatchId.get(pid) : undefined;
        if (commit) found = { commit, how: "patch-id" };
      }
      if (!found) {
        last = null;
        break;
      }
      last = found;
    }
    if (last) out.set(r.key, last);
  }
  return out;
}
