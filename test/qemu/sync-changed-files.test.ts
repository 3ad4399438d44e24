import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { syncChangedFiles } from "../../src/qemu/io/build-kernel.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-sync-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("syncChangedFiles (the persistent per-base build tree)", () => {
  it("rewrites only what differs, keeps other mtimes, reverts and deletes what a previous series changed", async () => {
    const base = { "a.c": "int a;\n", "b.c": "int b;\n", "drivers/c.c": "int c;\n" };
    const src = tree("src", { ...base, "old-new-file.c": "from the previous series\n", "b.c": "int b_patched_before;\n" });
    const old = new Date("2020-01-01T00:00:00Z");
    utimesSync(path.join(src, "a.c"), old, old);
    // The new series: changes drivers/c.c, adds d.c; b.c and old-new-file.c were the previous series'.
    const wt = tree("wt", { ...base, "drivers/c.c": "int c_patched;\n", "d.c": "int d;\n" });
    const synced = await syncChangedFiles(wt, src, ["b.c", "old-new-file.c"], ["d.c", "drivers/c.c"]);
    expect(synced).toEqual(["b.c", "d.c", "drivers/c.c", "old-new-file.c"]);
    expect(readFileSync(path.join(src, "b.c"), "utf8")).toBe("int b;\n");
    expect(readFileSync(path.join(src, "drivers/c.c"), "utf8")).toBe("int c_patched;\n");
    expect(existsSync(path.join(src, "old-new-file.c"))).toBe(false);
    expect(statSync(path.join(src, "a.c")).mtime.getTime()).toBe(old.getTime());
    // Same series again: nothing to write, so make has nothing to rebuild.
    expect(await syncChangedFiles(wt, src, ["d.c", "drivers/c.c"], ["d.c", "drivers/c.c"])).toEqual([]);
  });

  it("a sparse worktree (the pipeline's): the previous series' files come back from the base, not from the disk", async () => {
    const base: Record<string, string> = { "a.c": "int a;\n", "b.c": "int b;\n" };
    const src = tree("src3", { "a.c": "int a;\n", "b.c": "int b_patched_before;\n", "gone.c": "added before\n" });
    // Only what this series touches is on disk: b.c and gone.c are not, though b.c is in the base.
    const wt = tree("wt3", { "a.c": "int a_patched;\n" });
    const fromBase = async (rel: string): Promise<Buffer | null> => (rel in base ? Buffer.from(base[rel] as string) : null);
    const synced = await syncChangedFiles(wt, src, ["b.c", "gone.c"], ["a.c"], fromBase);
    expect(synced).toEqual(["a.c", "b.c", "gone.c"]);
    expect(readFileSync(path.join(src, "b.c"), "utf8")).toBe("int b;\n");
    expect(readFileSync(path.join(src, "a.c"), "utf8")).toBe("int a_patched;\n");
    expect(existsSync(path.join(src, "gone.c"))).toBe(false);
  });

  it("refuses paths outside the tree and symlinks", async () => {
    const src = tree("src2", { "a.c": "x\n" });
    const wt = tree("wt2", { "a.c": "x\n" });
    await expect(syncChangedFiles(wt, src, [], ["../escape.c"])).rejects.toBeInstanceOf(InputError);
    await expect(syncChangedFiles(wt, src, [], [".git/config"])).rejects.toBeInstanceOf(InputError);
    symlinkSync("/etc/passwd", path.join(wt, "link.c"));
    await expect(syncChangedFiles(wt, src, [], ["link.c"])).rejects.toThrow(/symlink/);
  });
});
