import { describe, expect, it } from "vitest";
import { patchPaths, unquote } from "../../src/kernel/patch-paths.js";
import { makeRepo } from "./git-fixture.js";

describe("patchPaths", () => {
  it("reads both sides of modify, create, delete, rename and copy from real git output", () => {
    const repo = makeRepo({ "a.c": "a\n".repeat(20), "old/r.c": "r\n".repeat(20), "gone.c": "g\n", "src.c": "s\n".repeat(30) });
    try {
      repo.write("a.c", "a\n".repeat(19) + "A\n");
      repo.write("new/dir/n.c", "n\n");
      repo.git(["rm", "-q", "gone.c"]);
      repo.git(["mv", "old/r.c", "old/r2.c"]);
      repo.write("copy.c", "s\n".repeat(30) + "t\n");
      repo.commit("all kinds");
      const diff = repo.git(["format-patch", "--stdout", "-M", "-C", "--find-copies-harder", "-1"]);
      expect(diff).toMatch(/^rename from old\/r\.c$/m);
      expect(diff).toMatch(/^copy from src\.c$/m);
      expect(patchPaths(diff).sort()).toEqual(["a.c", "copy.c", "gone.c", "new/dir/n.c", "old/r.c", "old/r2.c", "src.c"]);
    } finally {
      repo.cleanup();
    }
  });

  it("handles quoted names, spaces, timestamps, plain diffs and '--- ' lines inside hunks", () => {
    const text = [
      'diff --git "a/t\\303\\251st\\tx.c" "b/t\\303\\251st\\tx.c"',
      "index 1..2 100644",
      '--- "a/t\\303\\251st\\tx.c"',
      '+++ "b/t\\303\\251st\\tx.c"',
      "@@ -1 +1 @@",
      "--- a/not/a/header.c",
      "+x",
      "diff --git a/with space.c b/with space.c",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/with space.c",
      "@@ -0,0 +1 @@",
      "+y",
      "--- linux.orig/kernel/irq/irqdesc.c\t2020-11-09 10:00:00.000000000 +1100",
      "+++ linux/kernel/irq/irqdesc.c\t2020-11-09 10:01:00.000000000 +1100",
      "@@ -1 +1 @@",
    ].join("\n");
    expect(patchPaths(text)).toEqual(["tést\tx.c", "with space.c", "kernel/irq/irqdesc.c"]);
  });

  it("unquotes git's C-style names and leaves plain ones alone", () => {
    expect(unquote('"a\\\\b\\"c\\n"')).toBe('a\\b"c\n');
    expect(unquote("plain/name.c")).toBe("plain/name.c");
  });
});
