/**
 * Decodes a path the way git writes it in diffs: plain, or C-quoted ("a/\303\244 b\t") when it
 * holds special bytes. Pure. Returns null when the quoting is malformed (git would reject it too).
 *
 * Octal escapes are bytes, so "\056\056" is ".." and multi-byte UTF-8 comes out whole.
 */
export function unquoteGitPath(written: string): string | null {
  if (!written.startsWith('"')) return written;
  const bytes: number[] = [];
  let i = 1;
  const enc = new TextEncoder();
  while (i < written.length) {
    const ch = written[i]!;
    if (ch === '"') {
      if (i !== written.length - 1) return null;
      return new TextDecoder("utf-8", { fatal: false }).decode(Uint8Array.from(bytes));
    }
    if (ch !== "\\") {
      bytes.push(...enc.encode(ch));
      i++;
      continue;
    }
    const next = written[i + 1];
    if (next === undefined) return null;
    const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
    if (next in simple) {
      bytes.push(simple[next]!);
      i += 2;
      continue;
    }
    const oct = /^[0-3][0-7]{2}/.exec(written.slice(i + 1, i + 4));
    if (!oct) return null;
    bytes.push(parseInt(oct[0], 8));
    i += 4;
  }
  return null; // no closing quote
}

/**
 * Splits the start of `text` into one path token: a C-quoted string, or everything up to the end.
 * Returns the token as written and the rest after one separating space.
 */
export function takeQuoted(text: string): { token: string; rest: string } | null {
  if (!text.startsWith('"')) return null;
  let i = 1;
  while (i < text.length) {
    if (text[i] === "\\") i += 2;
    else if (text[i] === '"') return { token: text.slice(0, i + 1), rest: text.slice(i + 1).replace(/^ /, "") };
    else i++;
  }
  return null;
}
