import parseDiff from "parse-diff";

/**
 * Where `git am` stopped, read from its output (LC_ALL=C), with the failing hunk looked up in the
 * patch text git was given. Pure.
 */
export interface AmFailure {
  /** 1-based position of the failing mail in the mailbox given to git am (null: unknown). */
  position: number | null;
  /** Subject as git am printed it ("Patch failed at 0002 <subject>"). */
  subject: string | null;
  /** File git named, or "" when git named none. */
  file: string;
  /** Line git named (the hunk's old start), or null. */
  line: number | null;
  /** The hunk header ("@@ -123,7 +123,8 @@ static int foo(...)"), or a short description. */
  hunk: string;
  /** The error lines from git, for logs and the report's detail. */
  errors: string[];
}

export function parseAmFailure(output: string, patchTexts: readonly string[]): AmFailure {
  const lines = output.split("\n").map((l) => l.replace(/\r$/, ""));
  const errors = lines.filter((l) => /^(error|fatal|CONFLICT)\b/.test(l) || l.startsWith("Patch failed at"));

  let position: number | null = null;
  let subject: string | null = null;
  // Without "Patch failed at" (e.g. "Patch is empty."), the mail git stopped at is the last
  // one it announced with "Applying:".
  const applying = lines.filter((l) => l.startsWith("Applying: "));
  if (applying.length) {
    position = applying.length;
    subject = applying.at(-1)!.slice("Applying: ".length);
  }
  for (const l of lines) {
    const m = /^Patch failed at (\d+) ?(.*)$/.exec(l);
    if (m) {
      position = Number(m[1]);
      subject = m[2] ?? null;
    }
  }

  let file = "";
  let line: number | null = null;
  let hunk = "";
  const pf = lines.map((l) => /^error: patch failed: (.+):(\d+)$/.exec(l)).find((m) => m);
  if (pf) {
    file = pf[1]!;
    line = Number(pf[2]);
  } else {
    const other: Array<[RegExp, string]> = [
      [/^error: (.+): does not exist in index$/, "the file does not exist at the base"],
      [/^error: (.+): No such file or directory$/, "the file does not exist at the base"],
      [/^error: (.+): already exists in (?:index|working directory)$/, "the file already exists at the base"],
      [/^error: (.+): patch does not apply$/, "the patch does not apply"],
      [/^error: (.+): does not match index$/, "the file differs from the index"],
      [/^error: (.+): wrong type$/, "the file has the wrong type"],
      [/^CONFLICT \([^)]*\): Merge conflict in (.+)$/, "3-way merge conflict"],
    ];
    outer: for (const [re, what] of other) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) {
          file = m[1]!;
          hunk = what;
          break outer;
        }
      }
    }
    if (!file) {
      const last = errors.filter((e) => !e.startsWith("Patch failed at")).at(-1);
      const empty = lines.some((l) => l.startsWith("Patch is empty"));
      hunk = empty ? "the mail carries no patch" : last ? last.replace(/^(error|fatal): /, "") : "git am failed";
    }
  }

  const text = position !== null ? patchTexts[position - 1] : undefined;
  if (line !== null && text !== undefined) {
    hunk = findHunk(text, file, line) ?? `line ${line}`;
  } else if (line !== null) {
    hunk = `line ${line}`;
  }
  return { position, subject, file, line, hunk, errors };
}

/**
 * The header of the hunk of `file` that starts at old line `line` (git reports a failed hunk by
 * its old start), else the hunk whose old range is nearest to it.
 */
export function findHunk(patchText: string, file: string, line: number): string | null {
  let files: parseDiff.File[];
  try {
    files = parseDiff(patchText);
  } catch {
    return null;
  }
  const f = files.find((x) => x.to === file || x.from === file);
  if (!f || f.chunks.length === 0) return null;
  const exact = f.chunks.find((c) => c.oldStart === line);
  if (exact) return exact.content;
  let best = f.chunks[0]!;
  for (const c of f.chunks) {
    if (Math.abs(c.oldStart - line) < Math.abs(best.oldStart - line)) best = c;
  }
  return best.content;
}
