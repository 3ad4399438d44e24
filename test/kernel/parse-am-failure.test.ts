import { describe, expect, it } from "vitest";
import { findHunk, parseAmFailure } from "../../src/kernel/parse-am-failure.js";

const PATCH = `diff --git a/kernel/irq/irqdesc.c b/kernel/irq/irqdesc.c
index 1a7723604399..79c904ebfd5c 100644
--- a/kernel/irq/irqdesc.c
+++ b/kernel/irq/irqdesc.c
@@ -295,2 +295,1 @@ static void irq_sysfs_add(int irq, struct irq_desc *desc)
 \t}
-x
@@ -337,2 +325,1 @@ static struct kobj_type irq_kobj_type = {
 };
-y
diff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c
--- a/kernel/irq/irqdomain.c
+++ b/kernel/irq/irqdomain.c
@@ -10,1 +10,2 @@ int foo(void)
 a
+b
`;

describe("parseAmFailure", () => {
  it("maps git apply's file:line to the hunk header of that file", () => {
    const out = [
      "Applying: first",
      "Applying: genirq/irqdomain: Add reference counting to IRQs",
      "error: sha1 information is lacking or useless (kernel/irq/irqdesc.c).",
      "error: could not build fake ancestor",
      "Patch failed at 0002 genirq/irqdomain: Add reference counting to IRQs",
      "",
      "error: patch failed: kernel/irq/irqdesc.c:337",
      "error: kernel/irq/irqdesc.c: patch does not apply",
    ].join("\n");
    const f = parseAmFailure(out, ["", PATCH]);
    expect(f).toMatchObject({
      position: 2,
      subject: "genirq/irqdomain: Add reference counting to IRQs",
      file: "kernel/irq/irqdesc.c",
      line: 337,
      hunk: "@@ -337,2 +325,1 @@ static struct kobj_type irq_kobj_type = {",
    });
    expect(f.errors).toContain("error: could not build fake ancestor");
  });

  it("names the file when git names no line", () => {
    const f = parseAmFailure("Patch failed at 0001 x\nerror: drivers/gone.c: does not exist in index\n", [PATCH]);
    expect(f).toMatchObject({ position: 1, file: "drivers/gone.c", line: null, hunk: "the file does not exist at the base" });
    const c = parseAmFailure("CONFLICT (content): Merge conflict in kernel/irq/irqdomain.c\nPatch failed at 0001 x\n", [PATCH]);
    expect(c).toMatchObject({ file: "kernel/irq/irqdomain.c", hunk: "3-way merge conflict" });
    const none = parseAmFailure("error: something odd\n", [PATCH]);
    expect(none).toMatchObject({ position: null, file: "", hunk: "something odd" });
  });

  it("falls back to the nearest hunk, or the line, when the start does not match", () => {
    expect(findHunk(PATCH, "kernel/irq/irqdesc.c", 300)).toMatch(/^@@ -295,2 /);
    expect(findHunk(PATCH, "kernel/irq/other.c", 300)).toBeNull();
    const f = parseAmFailure("Patch failed at 0001 x\nerror: patch failed: kernel/irq/other.c:5\n", [PATCH]);
    expect(f.hunk).toBe("line 5");
  });
});

describe("parseAmFailure without 'Patch failed at'", () => {
  it("takes the last 'Applying:' mail as the one that stopped git am", () => {
    const f = parseAmFailure("Applying: one\nApplying: two\nPatch is empty.\n", ["", ""]);
    expect(f).toMatchObject({ position: 2, subject: "two", file: "", hunk: "the mail carries no patch" });
  });
});
