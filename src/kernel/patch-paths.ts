/**
 * Every path a diff touches, both sides: old and new names of modified, created, deleted,
 * renamed and copied files, as `git apply -p1` would read them (the `a/`/`b/` prefix removed
 * from `diff --git`, `---` and `+++` lines; `rename/copy from/to` lines carry bare paths).
 * Pure. Used to pick the files a sparse worktree must materialize; naming a path too many is
 * harmless there, missing one only costs git a slower path, so the parse errs on the side of more.
 */
export function patchPaths(diffText: string): string[] {
  const out = new Set<string>();
  const add = (p: string | null): void => {
    if (p !== null && p !== "" && p !== "/dev/null") out.add(p);
  };
  const lines = diffText.split("\n").map((l) => l.replace(/\r$/, ""));
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("diff --git ")) {
      for (const p of gitHeaderPaths(l.slice("diff --git ".length))) add(p);
      continue;
    }
    const rc = /^(?:rename|copy) (?:from|to) (.+)$/.exec(l);
    if (rc) {
      add(unquote(rc[1]!));
      continue;
    }
    // A "--- " line counts only as a file header when "+++ " follows it (a removed line
    // "-- foo" inside a hunk also starts with "--- ").
    const next = lines[i + 1];
    if (l.startsWith("--- ") && next?.startsWith("+++ ")) {
      add(stripPrefix(headerPath(l.slice(4))));
      add(stripPrefix(headerPath(next.slice(4))));
      i++;
    }
  }
  return [...out];
}

/** `a/x b/x` (both names equal, possibly with spaces), or two quoted/unquoted names. */
function gitHeaderPaths(rest: string): string[] {
  if (rest.startsWith('"') || rest.includes(' "')) {
    const parts: string[] = [];
    let s = rest;
    while (s.length) {
      if (s.startsWith('"')) {
        const end = closingQuote(s);
        if (end < 0) return [];
        parts.push(unquote(s.slice(0, end + 1)));
        s = s.slice(end + 1).trimStart();
      } else {
        const sp = s.indexOf(" ");
        parts.push(sp < 0 ? s : s.slice(0, sp));
        s = sp < 0 ? "" : s.slice(sp + 1);
      }
    }
    return parts.map(stripPrefix).filter((p): p is string => p !== null);
  }
  // Unquoted: "a/P b/P" has odd length 2 + p + 3 + p; other shapes (renames) have their own lines.
  if ((rest.length - 5) % 2 === 0) {
    const n = (rest.length - 5) / 2;
    const a = rest.slice(0, 2 + n);
    const b = rest.slice(2 + n + 1);
    if (rest[2 + n] === " " && a.slice(2) === b.slice(2)) return [stripPrefix(a)].filter((p): p is string => p !== null);
  }
  return [];
}

function headerPath(s: string): string {
  // A timestamp after a TAB ("--- a/x\t2020-01-01 ...") is not part of the name.
  const t = s.startsWith('"') ? s.slice(0, closingQuote(s) + 1) : s.split("\t")[0]!;
  return unquote(t);
}

/** -p1: drop the first component; null when nothing is left. */
function stripPrefix(p: string): string | null {
  if (p === "/dev/null") return null;
  const i = p.indexOf("/");
  return i < 0 ? null : p.slice(i + 1) || null;
}

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** git's C-style quoting ("a/t\303\251st\tx"); unquoted names are returned as they are. */
export function unquote(s: string): string {
  if (!(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const esc: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const n = body[i + 1] ?? "";
    if (/^[0-7]{3}$/.test(body.slice(i + 1, i + 4))) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(esc[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
