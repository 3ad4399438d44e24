import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BAD_PATCH_FIXTURES } from "../support/bad-patch-fixtures.js";
import { checkPatchSafety } from "../../src/patch/check-patch-safety.js";
import { unquoteGitPath } from "../../src/patch/unquote-git-path.js";

const limits = { maxPatchBytes: 64 * 1024 };

/** A git diff of one file, with optional extended header lines. */
function gitDiff(a: string, b: string, ext: string[] = [], body = true): string {
  const lines = [`diff --git ${a} ${b}`, ...ext];
  if (body) {
    lines.push(`--- ${a}`, `+++ ${b}`, "@@ -1,2 +1,2 @@", " ctx", "-old", "+new");
  }
  return lines.join("\n") + "\n";
}

function kinds(text: string): string[] {
  return checkPatchSafety(text, limits).map((p) => p.kind);
}

describe("checkPatchSafety", () => {
  it("accepts an ordinary kernel patch, including a new file, a deletion and a rename", () => {
    const text = [
      "Subject: [PATCH] irqdomain: tidy",
      "",
      "A message that mentions ../ and .git and /etc/passwd in prose only.",
      "---",
      gitDiff("a/kernel/irq/irqdomain.c", "b/kernel/irq/irqdomain.c", ["index 1a77236..79c904e 100644"]),
      "diff --git a/drivers/irqchip/new.c b/drivers/irqchip/new.c",
      "new file mode 100644",
      "index 0000000..e69de29",
      "--- /dev/null",
      "+++ b/drivers/irqchip/new.c",
      "@@ -0,0 +1 @@",
      "+int x;",
      "diff --git a/old.c b/old.c",
      "deleted file mode 100755",
      "diff --git a/x/one.c b/x/two.c",
      "similarity index 90%",
      "rename from x/one.c",
      "rename to x/two.c",
      "-- ",
      "2.17.1",
    ].join("\n");
    expect(checkPatchSafety(text, limits)).toEqual([]);
  });

  it("does not read hunk content as headers (a removed '-- ' line, an added '++ ' line)", () => {
    const text = ["diff --git a/s.lua b/s.lua", "--- a/s.lua", "+++ b/s.lua", "@@ -1,2 +1,2 @@", "--- /etc/passwd", "+++ /etc/shadow", "rename to ../x"].join("\n");
    // Inside the hunk: one removed line "-- /etc/passwd" and one added "++ /etc/shadow".
    expect(kinds(text)).toEqual([]);
  });

  it("rejects an absolute path in ---/+++ lines and in a git header", () => {
    const trad = ["--- /etc/passwd", "+++ /etc/passwd", "@@ -1 +1 @@", "-a", "+b"].join("\n");
    const p = checkPatchSafety(trad, limits);
    expect(p.map((x) => x.kind)).toEqual(["absolute-path"]);
    expect(p[0]!.message).toContain('"/etc/passwd"');
    expect(p[0]!.path).toBe("/etc/passwd");
    expect(kinds(gitDiff("a//etc/passwd", "b//etc/passwd", [], false))).toEqual(["absolute-path"]);
  });

  it("rejects a .. component", () => {
    const p = checkPatchSafety(gitDiff("a/../../x.c", "b/../../x.c"), limits);
    expect(p.map((x) => x.kind)).toEqual(["dot-dot"]);
    expect(p[0]!.message).toMatch(/"a\/\.\.\/\.\.\/x\.c" has a "\.\." component \(line 1\)/);
    expect(kinds(gitDiff("a/kernel/../../x.c", "b/kernel/../../x.c"))).toContain("dot-dot");
    // A name that merely contains dots is fine.
    expect(kinds(gitDiff("a/x..y/..z", "b/x..y/..z"))).toEqual([]);
  });

  it("rejects paths into .git/, case-insensitively and in NTFS/HFS spellings", () => {
    for (const name of [".git/hooks/pre-commit", "sub/.GIT/config", ".Git/x", ".git./x", "git~1/x", ".g\u200cit/hooks/x"]) {
      const p = checkPatchSafety(gitDiff(`a/${name}`, `b/${name}`), limits);
      expect(p.map((x) => x.kind), name).toEqual(["git-dir"]);
      expect(p[0]!.message).toContain("points into .git/");
    }
    expect(kinds(gitDiff("a/.gitignore", "b/.gitignore"))).toEqual([]);
    expect(kinds(gitDiff("a/tools/.github/x", "b/tools/.github/x"))).toEqual([]);
  });

  it("rejects symlink mode 120000 wherever a mode is given", () => {
    const cases = [
      ["new file mode 120000"],
      ["deleted file mode 120000"],
      ["old mode 100644", "new mode 120000"],
      ["index 1234567..89abcde 120000"],
    ];
    for (const ext of cases) {
      const p = checkPatchSafety(gitDiff("a/lnk", "b/lnk", ext, false), limits);
      expect(p.map((x) => x.kind), ext.join(";")).toEqual(["symlink"]);
      expect(p[0]!.message).toMatch(/^symlink mode 120000 on "lnk"/);
    }
  });

  it("rejects submodule mode 160000", () => {
    for (const ext of [["new file mode 160000"], ["index 1234567..89abcde 160000"], ["old mode 160000", "new mode 100644"]]) {
      const p = checkPatchSafety(gitDiff("a/sub", "b/sub", ext, false), limits);
      expect(p.map((x) => x.kind), ext.join(";")).toEqual(["submodule"]);
      expect(p[0]!.message).toContain('"sub"');
    }
  });

  it("rejects binary patches in both forms", () => {
    const lit = gitDiff("a/fw.bin", "b/fw.bin", ["index 1234567..89abcde 100644", "GIT binary patch", "literal 5", "McmZQzWMO9U0001D000"], false);
    const p = checkPatchSafety(lit, limits);
    expect(p.map((x) => x.kind)).toEqual(["binary"]);
    expect(p[0]!.message).toContain('"fw.bin"');
    const differ = gitDiff("a/fw.bin", "b/fw.bin", ["index 1234567..89abcde 100644", "Binary files a/fw.bin and b/fw.bin differ"], false);
    expect(kinds(differ)).toEqual(["binary"]);
  });

  it("rejects renames and copies whose source or target is hostile", () => {
    const rename = gitDiff("a/ok.c", "b/../evil.c", ["similarity index 100%", "rename from ok.c", "rename to ../evil.c"], false);
    const p = checkPatchSafety(rename, limits);
    expect(p.some((x) => x.kind === "dot-dot" && x.message.startsWith('rename target path "../evil.c"'))).toBe(true);
    const src = gitDiff("a/.git/config", "b/ok.c", ["similarity index 100%", "rename from .git/config", "rename to ok.c"], false);
    expect(checkPatchSafety(src, limits).some((x) => x.kind === "git-dir" && x.message.startsWith("rename source"))).toBe(true);
    const copy = gitDiff("a/ok.c", "b/x", ["similarity index 100%", "copy from ok.c", "copy to /tmp/x"], false);
    expect(checkPatchSafety(copy, limits).some((x) => x.kind === "absolute-path" && x.message.startsWith('copy target path "/tmp/x"'))).toBe(true);
  });

  it("decodes C-quoted paths before judging them", () => {
    const q = '"a/\\056\\056/x"';
    const p = checkPatchSafety(gitDiff(q, '"b/\\056\\056/x"'), limits);
    expect(p.map((x) => x.kind)).toEqual(["dot-dot"]);
    expect(p[0]!.path).toBe("../x");
    expect(p[0]!.message).toContain(`(written as ${q})`);
    const gitq = checkPatchSafety(gitDiff('"a/\\056git/hooks/x"', '"b/\\056git/hooks/x"'), limits);
    expect(gitq.map((x) => x.kind)).toEqual(["git-dir"]);
    const renameq = gitDiff("a/ok", "b/ok2", ["rename from ok", 'rename to "\\057etc/cron.d/x"'], false);
    expect(kinds(renameq)).toContain("absolute-path");
    expect(kinds(gitDiff("a/ok", "b/ok2", ["rename from ok", 'rename to "unterminated'], false))).toContain("bad-quoting");
  });

  it("rejects a patch over limits.maxPatchBytes, naming both sizes", () => {
    const big = gitDiff("a/x", "b/x") + `+${"y".repeat(70 * 1024)}\n`;
    const p = checkPatchSafety(big, limits);
    expect(p.map((x) => x.kind)).toContain("too-large");
    expect(p.find((x) => x.kind === "too-large")!.message).toMatch(/^patch is \d+ bytes, over the limit of 65536 bytes/);
    expect(kinds(gitDiff("a/x", "b/x"))).toEqual([]);
  });

  it("handles CRLF mail text", () => {
    expect(kinds(gitDiff("a/../x", "b/../x").replace(/\n/g, "\r\n"))).toEqual(["dot-dot"]);
  });

  it("reports each problem once per path", () => {
    const text = gitDiff("a/../x", "b/../x") + gitDiff("a/../x", "b/../x");
    expect(checkPatchSafety(text, limits).filter((x) => x.kind === "dot-dot").map((x) => x.path)).toEqual(["../x"]);
  });
});

describe("checkPatchSafety: control characters in paths", () => {
  it("refuses a CR LF, TAB or NUL in any path of a header, quoted or not", () => {
    const created = ['diff --git "a/drivers/x\\r\\nReviewed-by: Irq Maintainer" "b/drivers/x\\r\\nReviewed-by: Irq Maintainer"', "new file mode 100644", "index 0000000..e69de29", "--- /dev/null", '+++ "b/drivers/x\\r\\nReviewed-by: Irq Maintainer"', "@@ -0,0 +1 @@", "+int x;"].join("\n");
    const p = checkPatchSafety(created, limits);
    expect(p.map((x) => x.kind)).toEqual(["control-char"]);
    expect(p[0]!.message).toMatch(/^diff header path "a\/drivers\/x\\r\\nReviewed-by: Irq Maintainer" \(written as .*\) holds a CR \(line 1\)$/);
    expect(kinds(gitDiff('"a/x\\ty.c"', '"b/x\\ty.c"'))).toEqual(["control-char"]);
    expect(kinds(gitDiff('"a/x\\000y.c"', '"b/x\\000y.c"'))).toEqual(["control-char"]);
    expect(kinds(gitDiff("a/x\ry.c", "b/x\ry.c"))).toEqual(["control-char"]);
    expect(kinds(gitDiff("a/one.c", "b/two.c", ["similarity index 90%", "rename from one.c", 'rename to "two\\n.c"'], false))).toEqual(["control-char"]);
    expect(kinds(gitDiff('"a/\\033[31mred.c"', '"b/\\033[31mred.c"'))).toEqual(["control-char"]);
    expect(checkPatchSafety(gitDiff('"a/x\\ty.c"', '"b/x\\ty.c"'), limits)[0]!.message).toContain("holds a TAB");
    expect(checkPatchSafety(gitDiff('"a/x\\000y.c"', '"b/x\\000y.c"'), limits)[0]!.message).toContain("holds a NUL");
  });

  it("still accepts names with spaces and UTF-8", () => {
    expect(kinds(gitDiff('"a/x \\303\\244.c"', '"b/x \\303\\244.c"'))).toEqual([]);
  });
});

describe("unquoteGitPath", () => {
  it("decodes escapes and octal UTF-8 bytes", () => {
    expect(unquoteGitPath("plain/x")).toBe("plain/x");
    expect(unquoteGitPath('"a/\\303\\244 b\\t\\"q\\"\\\\"')).toBe('a/ä b\t"q"\\');
    expect(unquoteGitPath('"a/\\056\\056/x"')).toBe("a/../x");
    expect(unquoteGitPath('"a/x" trailing')).toBeNull();
    expect(unquoteGitPath('"a/\\9"')).toBeNull();
  });
});

describe("checkPatchSafety on the bad-input fixture mails (fixtures/mail/bad)", () => {
  const dir = new URL("../../fixtures/mail/bad/", import.meta.url);
  const body = (name: string): string => {
    const raw = readFileSync(new URL(name, dir), "utf8");
    return raw.slice(raw.indexOf("\n\n") + 2);
  };
  const expected = BAD_PATCH_FIXTURES;
  for (const [name, kind] of Object.entries(expected)) {
    it(`refuses ${name} as ${kind}`, () => {
      const p = checkPatchSafety(body(name), limits);
      expect(p.map((x) => x.kind)).toContain(kind);
      expect(p.every((x) => x.message.length > 10)).toBe(true);
    });
  }
  it("passes the good mail and the one whose hunk counts lie (git apply refuses that one)", () => {
    expect(checkPatchSafety(body("99-good-after-bad.eml"), limits)).toEqual([]);
    expect(checkPatchSafety(body("04-lying-hunk.eml"), limits)).toEqual([]);
  });
});
