import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applySeries, type SeriesPatchInput } from "../kernel/io/apply-series.js";
import { LocalGitMirror } from "../kernel/io/local-git-mirror.js";
import { gitEnv } from "../kernel/io/run-git.js";

/**
 * `npm run bench -- apply`: applySeries (+ materialize, + dispose) on the Linux 6.1 mirror,
 * full checkout vs sparse worktree, for the corpus v3 refcount patch (does not apply) and a
 * small format-patch that applies. The mirror is only read; worktrees go to a temp state dir.
 * Set IRQTRIAGE_BENCH_APPLY_FULL=0 to skip the (slow) full-checkout rows.
 */
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const v3File = path.resolve(repoRoot, "..", "shared", "corpus", "genirq-refcount-2020", "10_v3_patch_20201109094646.71565-1-aik.eml");

function message(raw: Buffer, msgid: string): SeriesPatchInput["message"] {
  const s = raw.toString("utf8");
  const sep = s.indexOf("\n\n");
  return { msgid, subject: /^Subject: (.*)$/m.exec(s.slice(0, sep))?.[1] ?? "", raw, text: s.slice(sep + 2), attachments: [] };
}

/** A one-line removal in drivers/hid/hid-rmi.c, made in a --shared clone without checkout. */
function smallPatch(mirrorPath: string, tmp: string): Buffer {
  const env = { ...gitEnv(), GIT_AUTHOR_NAME: "Bench", GIT_AUTHOR_EMAIL: "bench@example.org", GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z" };
  const g = (cwd: string, args: string[], input?: string): string => execFileSync("git", args, { cwd, env, encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  const clone = path.join(tmp, "author");
  g(tmp, ["-c", "protocol.file.allow=always", "clone", "-q", "--shared", "--no-checkout", mirrorPath, clone]);
  const file = "drivers/hid/hid-rmi.c";
  const lines = g(clone, ["cat-file", "blob", `HEAD:${file}`]).split("\n");
  const at = lines.findIndex((l) => /^\s*irq_dispose_mapping\(/.test(l));
  const blob = g(clone, ["hash-object", "-w", "--stdin"], [...lines.slice(0, at), ...lines.slice(at + 1)].join("\n")).trim();
  g(clone, ["read-tree", "HEAD"]);
  g(clone, ["update-index", "--cacheinfo", `100644,${blob},${file}`]);
  const commit = g(clone, ["commit-tree", g(clone, ["write-tree"]).trim(), "-p", "HEAD", "-m", "HID: rmi: bench"]).trim();
  g(clone, ["update-ref", "HEAD", commit]);
  return Buffer.from(g(clone, ["format-patch", "--stdout", "-1"]).replace(/^From [^\n]*\n/, ""));
}

export async function bench(log: (line: string) => void): Promise<void> {
  const mirrorPath = execFileSync("bash", [path.join(repoRoot, "scripts", "make-linux-mirror.sh")], { encoding: "utf8" }).trim().split("\n").at(-1)!;
  const mirror = new LocalGitMirror({ path: mirrorPath });
  const tmp = mkdtempSync(path.join(os.tmpdir(), "irqtriage-apply-bench-"));
  try {
    const cases: Array<[string, Buffer]> = [];
    if (existsSync(v3File)) cases.push(["corpus v3 (fails)", readFileSync(v3File)]);
    else log(`corpus absent (${v3File}): v3 row skipped`);
    cases.push(["small patch (applies)", smallPatch(mirrorPath, tmp)]);
    const modes = process.env["IRQTRIAGE_BENCH_APPLY_FULL"] === "0" ? ["sparse"] : ["full", "sparse"];
    log(`mirror ${mirrorPath}; target: apply + dispose of a small series in seconds, not a minute`);
    for (const mode of modes) {
      for (const [label, raw] of cases) {
        const t0 = performance.now();
        const a = await applySeries({
          mirror,
          stateDir: path.join(tmp, "state"),
          patches: [{ index: 1, total: 1, message: message(raw, "bench@example.org") }],
          baseCommit: null,
          branch: "master",
          limits: { maxPatchBytes: 5 * 1024 * 1024 },
          name: `bench-${mode}`,
          sparse: mode === "sparse",
        });
        const t1 = performance.now();
        await a.dispose();
        const t2 = performance.now();
        const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
        log(`${mode.padEnd(6)} ${label.padEnd(22)} ${a.result.status.padEnd(7)} apply ${s(t1 - t0)}  dispose ${s(t2 - t1)}  total ${s(t2 - t0)}`);
      }
    }
    // What a later stage pays when it needs the whole tree of a sparse worktree.
    const small = cases.at(-1)![1];
    const t0 = performance.now();
    const a = await applySeries({
      mirror,
      stateDir: path.join(tmp, "state"),
      patches: [{ index: 1, total: 1, message: message(small, "bench@example.org") }],
      baseCommit: null,
      branch: "master",
      limits: { maxPatchBytes: 5 * 1024 * 1024 },
      name: "bench-materialize",
    });
    const t1 = performance.now();
    await a.materialize();
    const t2 = performance.now();
    await a.dispose();
    const t3 = performance.now();
    log(`sparse + materialize() small patch: apply ${((t1 - t0) / 1000).toFixed(1)} s  materialize ${((t2 - t1) / 1000).toFixed(1)} s  dispose ${((t3 - t2) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
