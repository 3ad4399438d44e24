import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-io.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-sim-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(argv, { cwd: dir });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("irqtriage sim", () => {
  it("--json prints the contract shape and exits 1 on violations", async () => {
    const r = await run(["sim", "--semantics", "mainline", "--devices", "2", "--lines", "1", "--rounds", "1", "--driver", "shared-dispose", "--json"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(j).sort()).toEqual(["scenario", "seconds", "semantics", "states", "violations"]);
    expect(j["semantics"]).toBe("mainline");
    expect(j["scenario"]).toBe("shared-lsi");
    const v = j["violations"] as Array<{ property: string; trace: string[] }>;
    expect(v[0]?.property).toBe("premature-unmap");
    expect(Object.keys(v[0]!).sort()).toEqual(["property", "trace"]);
    expect(v[0]?.trace[0]).toMatch(/^1\. dev1 plug: /);
  });

  it("--threads 1 and --threads 2 give the same run; other values are a usage error", async () => {
    const argv = ["sim", "--semantics", "mainline", "--devices", "4", "--lines", "2", "--rounds", "2", "--no-symmetry", "--json"];
    const one = await run([...argv, "--threads", "1"]);
    const two = await run([...argv, "--threads", "2"]);
    expect(one.code).toBe(1);
    const strip = (out: string): unknown => ({ ...(JSON.parse(out) as Record<string, unknown>), seconds: 0 });
    expect((JSON.parse(one.out) as { states: number }).states).toBeGreaterThan(16_384);
    expect(strip(two.out)).toEqual(strip(one.out));
    const bad = await run([...argv, "--threads", "3"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--threads must be 1 or 2/);
  });

  it("exits 0 when clean, with and without symmetry reduction", async () => {
    for (const extra of [[], ["--no-symmetry"]]) {
      const r = await run(["sim", "--semantics", "ppc-kref", "--devices", "3", "--lines", "2", "--rounds", "2", "--json", ...extra]);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.out) as { violations: unknown[] }).violations).toEqual([]);
    }
  });

  it("runs a hand-written scenario file and a named rules scenario", async () => {
    const file = path.join(dir, "mine.yaml");
    await writeFile(file, "name: mine\ndescription: two balanced drivers\nrounds: 1\ndevices:\n  - { name: a, count: 2, class: balanced, line: intc0/9 }\n");
    const r = await run(["sim", "--semantics", "refcount-v3", "--scenario", file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no violation: clean/);
    const named = await run(["sim", "--semantics", "refcount-v3", "--scenario", "msi-free-bypass"]);
    expect(named.code).toBe(1);
    expect(named.out).toMatch(/^hierarchy \(\d steps\):/m);
  });

  it("prints the scenarios x semantics table with --semantics all", async () => {
    const r = await run(["sim", "--semantics", "all"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^scenario\s+mainline\s+ppc-kref\s+refcount-v3$/m);
    expect(r.out).toMatch(/^rfc-2of2-shared-lsi\s+FAIL premature-unmap\S*\s+clean\s+clean$/m);
    expect(r.out).not.toMatch(/differs from the scenario's expect/);
  });

  it("rejects bad input with exit 2", async () => {
    expect((await run(["sim", "--semantics", "nonsense"])).code).toBe(2);
    expect((await run(["sim", "--semantics", "mainline", "--driver", "nope"])).code).toBe(2);
    expect((await run(["sim", "--semantics", "mainline", "--lines", "9"])).code).toBe(2);
    expect((await run(["sim", "--semantics", "mainline", "--scenario", "msi-free-bypass", "--devices", "3"])).code).toBe(2);
    const bad = path.join(dir, "bad.yaml");
    await writeFile(bad, "name: bad\ndescription: x\nrounds: 1\ndevices: [{ name: a, class: balanced, line: intc0/9, colour: red }]\n");
    const r = await run(["sim", "--semantics", "mainline", "--scenario", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown key "colour"/);
    expect((await run(["sim", "--semantics", "auto"])).code).toBe(2);
  });

  it("--semantics auto detects from a tree and prints the evidence", async () => {
    const tree = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../fixtures/kernel-tree");
    const r = await run(["sim", "--semantics", "auto", "--tree", tree, "--scenario", "create-twice-dispose-once"]);
    expect(r.out).toMatch(/detected in .*: core mainline/);
    expect(r.out).toMatch(/kernel\/irq\/irqdomain\.c:\d+ \(irq_dispose_mapping\)/);
    expect(r.out).toMatch(/semantics mainline:/);
    expect(r.code).toBe(0);
  });
});
