import { readFileSync } from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";

// The structure rule is the project's own lint (`npm run lint`, run by CI): a pure folder
// imports no file system, process, network client, store or io/ module. This proves it bites,
// with a fixture file that breaks it in every way, placed in each pure folder in turn.
const fixture = readFileSync(path.join(packageRoot, "test/fixtures/lint/impure-core.ts"), "utf8");
const eslint = new ESLint({ cwd: packageRoot });
const { pureFolders } = (await import(path.join(packageRoot, "eslint.config.js"))) as { pureFolders: string[] };

async function restricted(file: string): Promise<string[]> {
  const [res] = await eslint.lintText(fixture, { filePath: path.join(packageRoot, file) });
  return (res?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message.split("'")[1] ?? m.message);
}

describe("purity lint rule", () => {
  it("guards every pure folder", () => {
    expect(pureFolders).toEqual(expect.arrayContaining(["types", "mail", "patch", "analysis", "sim", "report", "mail-commands", "config", "kernel", "qemu", "github"]));
  });

  it.each(["types", "mail", "patch", "analysis", "sim", "report", "mail-commands", "config", "kernel", "qemu", "github"])(
    "rejects fs, child_process, net, imapflow, the store and io/ in src/%s",
    async (folder) => {
      expect((await restricted(`src/${folder}/impure-core.ts`)).sort()).toEqual(
        ["../kernel/io/run-git.js", "../store/store.js", "imapflow", "node:child_process", "node:fs/promises", "node:net"].sort(),
      );
    },
  );

  it("allows the same imports in a part's io/ folder and in the composition roots", async () => {
    expect(await restricted("src/sim/io/impure-core.ts")).toEqual([]);
    expect(await restricted("src/pipeline/impure-core.ts")).toEqual([]);
    expect(await restricted("src/daemon/impure-core.ts")).toEqual([]);
  });

  it("passes on the project's own sources (the rule is the one CI runs)", async () => {
    const results = await eslint.lintFiles(["src"]);
    const problems = results.flatMap((r) => r.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => `${path.relative(packageRoot, r.filePath)}:${m.line} ${m.message}`));
    expect(problems).toEqual([]);
  }, 120_000);
});
