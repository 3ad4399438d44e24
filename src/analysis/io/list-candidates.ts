import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import path from "node:path";
import { ExternalError } from "../../errors.js";
import { gitEnv } from "../../kernel/io/run-git.js";

/**
 * Stream the C files of `tree` that mention any of `words` (fixed strings). A git repo or worktree
 * uses `git grep -l -F` (the index makes it ~1 s on Linux); anything else gets a parallel walk
 * with a byte search. Paths are relative to the tree, '/'-separated. `wordMatch` asks for whole
 * words (the cross-file pass).
 */
export async function* listCandidates(
  tree: string,
  words: string[],
  opts: { wordMatch?: boolean; signal?: AbortSignal; dirs?: string[] } = {},
): AsyncGenerator<string> {
  if (!words.length) return;
  if (existsSync(path.join(tree, ".git"))) {
    yield* gitGrep(tree, words, opts);
    return;
  }
  yield* walkGrep(tree, words, opts.wordMatch ?? false, opts.dirs);
}

async function* gitGrep(tree: string, words: string[], opts: { wordMatch?: boolean; signal?: AbortSignal; dirs?: string[] }): AsyncGenerator<string> {
  // Without pathspec magic, `dir/*.c` also matches files in subfolders of dir.
  const specs = opts.dirs ? opts.dirs.map((d) => (d ? `${d}/*.c` : "*.c")) : ["*.c"];
  const args = ["grep", "-l", "-F", ...(opts.wordMatch ? ["-w"] : []), "-z", "-f", "-", "--", ...specs];
  // Streamed (runGit buffers output); same sanitized environment as every other git call.
  const child = spawn("git", args, { cwd: tree, env: gitEnv(), stdio: ["pipe", "pipe", "pipe"], ...(opts.signal ? { signal: opts.signal } : {}) });
  child.stdin.end(words.join("\n") + "\n");
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
  let rest = "";
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    rest += chunk.toString("utf8");
    const parts = rest.split("\0");
    rest = parts.pop() ?? "";
    for (const p of parts) if (p) yield p;
  }
  if (rest) yield rest;
  const code = await done;
  // git grep exits 1 when nothing matched; anything else is a failure.
  if (code > 1) throw new ExternalError(`git grep failed in ${tree}`, "git", stderr.trim());
}

async function* walkGrep(tree: string, words: string[], wordMatch: boolean, dirs?: string[]): AsyncGenerator<string> {
  const needles = words.map((w) => Buffer.from(w));
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(tree, rel), { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory() && e.name !== ".git") await walk(r);
        else if (e.isFile() && e.name.endsWith(".c")) files.push(r);
      }),
    );
  };
  await walk("");
  files.sort();
  if (dirs) {
    const keep = files.filter((f) => dirs.some((d) => !d || f.startsWith(d + "/")));
    files.splice(0, files.length, ...keep);
  }
  const isIdent = (b: number | undefined): boolean =>
    b !== undefined && ((b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 95);
  const hit = (buf: Buffer): boolean =>
    needles.some((n) => {
      for (let i = buf.indexOf(n); i >= 0; i = buf.indexOf(n, i + 1)) {
        if (!wordMatch || (!isIdent(buf[i - 1]) && !isIdent(buf[i + n.length]))) return true;
      }
      return false;
    });
  const width = 16;
  for (let i = 0; i < files.length; i += width) {
    const batch = files.slice(i, i + width);
    const found = await Promise.all(
      batch.map(async (f) => {
        const fh = await open(path.join(tree, f), "r");
        try {
          return hit(await fh.readFile()) ? f : null;
        } finally {
          await fh.close();
        }
      }),
    );
    for (const f of found) if (f) yield f;
  }
}
