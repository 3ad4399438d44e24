import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";
import type { RevisionResult, TriageResult } from "../../src/types/triage-result.js";

// Acceptance of issue #2 through the real CLI: `irqtriage run <corpus> --mirror <linux 6.1> --json`
// must reproduce the facts of ../shared/corpus/genirq-refcount-2020/README.md, including the
// v3 patch not applying to Linux 6.1 with the patch, file and hunk named.
const corpus = path.resolve(packageRoot, "..", "shared", "corpus", "genirq-refcount-2020");
const present = existsSync(corpus);

// Absent data is reported, not counted as a skipped test: the tests below need it.
if (!present) console.warn(`skipped: ../shared absent (${corpus})`);

describe.runIf(present)("irqtriage run on the genirq-refcount-2020 corpus", () => {
  let state: string;
  let result: TriageResult;
  let revs: RevisionResult[];

  beforeAll(async () => {
    const mirror = execFileSync(path.join(packageRoot, "scripts", "make-linux-mirror.sh"), { encoding: "utf8" }).trim().split("\n").pop() as string;
    state = await mkdtemp(path.join(os.tmpdir(), "irqtriage-corpus-"));
    const r = spawnSync(process.execPath, [path.join(packageRoot, "bin", "irqtriage.js"), "run", corpus, "--mirror", mirror, "--state", state, "--json"], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.stderr).not.toMatch(/internal error|TypeError/);
    expect(r.status).toBe(0);
    result = JSON.parse(r.stdout) as TriageResult;
    expect(result.series).toHaveLength(1);
    revs = result.series[0]?.revisions ?? [];
  }, 900_000);

  afterAll(async () => {
    await rm(state, { recursive: true, force: true });
  });

  it("is one lineage of four revisions across the subject rename: RFC v1, v2, v3, v4", () => {
    expect(result.series[0]?.lineage).toBe("20201027090655.14118-1-aik@ozlabs.ru");
    expect(revs.map((r) => [r.version, r.rfc])).toEqual([[1, true], [2, false], [3, false], [4, false]]);
    expect(revs[1]?.title).toBe("irq: Add reference counting to IRQ mappings");
    expect(revs[2]?.title).toBe("genirq/irqdomain: Add reference counting to IRQs");
    for (const r of revs) expect(r.author).toMatch(/aik@ozlabs\.ru/);
  });

  it("tells patches from reviews", () => {
    expect(revs[0]?.patches.map((p) => p.msgid)).toEqual(["20201027090655.14118-2-aik@ozlabs.ru", "20201027090655.14118-3-aik@ozlabs.ru"]);
    expect(revs[1]?.patches.map((p) => p.msgid)).toEqual(["20201029110141.94304-1-aik@ozlabs.ru"]);
    expect(revs[2]?.patches.map((p) => p.msgid)).toEqual(["20201109094646.71565-1-aik@ozlabs.ru"]);
    expect(revs[0]?.reviews).toEqual(expect.arrayContaining(["415025f93a2b93e8ae62cba57ca1a8a7@kernel.org", "6c6702bd-dff2-1d34-0f93-4f8011417c64@kaod.org"]));
    expect(revs[2]?.reviews).toEqual(expect.arrayContaining(["fac73255eabb43242528821888acf2cc@kernel.org", "befc829d-82ac-3ae8-025d-eb9eb7b4a1b6@kaod.org"]));
    const allPatches = revs.flatMap((r) => r.patches.map((p) => p.msgid));
    for (const review of revs.flatMap((r) => r.reviews)) expect(allPatches).not.toContain(review);
  });

  it("finds v4 incomplete: a cover letter whose patches 1..8 are missing", () => {
    expect(revs[3]?.cover).toBe("20201124061720.86766-1-aik@ozlabs.ru");
    expect(revs[3]?.patches).toEqual([]);
    expect(revs[3]?.missing).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(revs[3]?.apply.status).toBe("skipped");
    expect(revs[3]?.reply).toBeNull();
  });

  it("is relevant for kernel/irq/ and for the irq_dispose_mapping() call in arch/powerpc", () => {
    for (const r of revs.slice(0, 3)) expect(r.relevant).toBe(true);
    expect(revs[0]?.reasons.join("\n")).toMatch(/kernel\/irq\//);
    expect(revs[0]?.reasons.join("\n")).toMatch(/irq_dispose_mapping\(\) in arch\/powerpc\//);
    expect(revs[2]?.reasons.join("\n")).toMatch(/kernel\/irq\/irqdomain\.c/);
  });

  it("attaches trailers given in replies to the patch they answer", () => {
    const rfcTrailer = revs[0]?.trailers.find((t) => t.msgid === "6c6702bd-dff2-1d34-0f93-4f8011417c64@kaod.org");
    expect(rfcTrailer).toMatchObject({ name: "Reviewed-by", from: expect.stringMatching(/clg@kaod\.org/) });
    const v3Trailer = revs[2]?.trailers.find((t) => t.msgid === "befc829d-82ac-3ae8-025d-eb9eb7b4a1b6@kaod.org");
    expect(v3Trailer).toMatchObject({ name: "Tested-by" });
  });

  it("reports that v3 does not apply to Linux 6.1, naming the patch, the file and the hunk", async () => {
    const v3 = revs[2] as RevisionResult;
    expect(v3.apply.status).toBe("failed");
    expect(v3.apply.base).toMatch(/^[0-9a-f]{40}$/);
    expect(v3.apply.failed?.patch).toBe("20201109094646.71565-1-aik@ozlabs.ru");
    expect(v3.apply.failed?.file).toMatch(/^kernel\/irq\/irq(desc|domain)\.c$/);
    expect(v3.apply.failed?.hunk).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@/);
    const reply = await readFile(v3.reply as string, "utf8");
    expect(reply).toContain("does not apply");
    expect(reply).toContain(v3.apply.failed?.file as string);
    expect(reply).toMatch(/^In-Reply-To: <20201109094646\.71565-1-aik@ozlabs\.ru>\r$/m);
  });
});
