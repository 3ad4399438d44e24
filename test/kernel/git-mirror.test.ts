import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalGitMirror, isSafeRev } from "../../src/kernel/io/local-git-mirror.js";
import { makeRepo, type TempRepo } from "./git-fixture.js";

let repo: TempRepo | null = null;
afterEach(() => repo?.cleanup());

describe("LocalGitMirror", () => {
  it("answers hasCommit, resolve, describe, readFile and changedFiles", async () => {
    repo = makeRepo({ "kernel/irq/irqdomain.c": "int a;\n", "bin.dat": "" });
    repo.git(["tag", "v1"]);
    const v1 = repo.git(["rev-parse", "HEAD"]).trim();
    repo.write("kernel/irq/irqdomain.c", "int b;\n");
    repo.write("drivers/x.c", "x\n");
    writeFileSync(path.join(repo.dir, "bin.dat"), Buffer.from([0x00, 0xff, 0xfe, 0x80]));
    const tip = repo.commit("two");
    const m = new LocalGitMirror({ path: repo.dir });

    expect(await m.hasCommit(v1)).toBe(true);
    expect(await m.hasCommit(v1.slice(0, 7))).toBe(true);
    expect(await m.hasCommit("0".repeat(40))).toBe(false);
    expect(await m.hasCommit("--output=/tmp/x")).toBe(false);
    expect(await m.resolve("master")).toBe(tip);
    expect(await m.resolve("nope")).toBeNull();
    expect(await m.head()).toBe(tip);
    expect(await m.describe(tip)).toMatch(/^v1-1-g[0-9a-f]{12}$/);
    expect((await m.readFile(v1, "kernel/irq/irqdomain.c"))?.toString()).toBe("int a;\n");
    expect((await m.readFile(tip, "kernel/irq/irqdomain.c"))?.toString()).toBe("int b;\n");
    expect(await m.readFile(v1, "drivers/x.c")).toBeNull();
    // Byte-exact: a UTF-8 round trip would turn 0xff into EF BF BD.
    expect([...(await m.readFile(tip, "bin.dat"))!]).toEqual([0x00, 0xff, 0xfe, 0x80]);
    expect((await m.changedFiles(v1, tip)).sort()).toEqual(["bin.dat", "drivers/x.c", "kernel/irq/irqdomain.c"]);
  });

  it("accepts only plain revision names", () => {
    expect(isSafeRev("master")).toBe(true);
    expect(isSafeRev("v6.1-debian^{commit}")).toBe(true);
    expect(isSafeRev("-n")).toBe(false);
    expect(isSafeRev("a..b")).toBe(false);
    expect(isSafeRev("x y")).toBe(false);
    expect(isSafeRev("master@{1}")).toBe(false);
  });
});
