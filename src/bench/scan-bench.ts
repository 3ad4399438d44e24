import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { analyzeDelta } from "../analysis/io/analyze-delta.js";
import { loadBalanceRules } from "../analysis/io/load-balance-rules.js";
import { apiNames } from "../analysis/balance-rules.js";

const run = promisify(execFile);

function mirrorPath(env = process.env): string {
  return env["IRQTRIAGE_LINUX_MIRROR"] ?? path.join(os.homedir(), ".cache/irqtriage/linux-6.1");
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface ScanRun {
  ms: number;
  /** CPU time of the whole process, worker threads included: comparable on a busy machine. */
  cpuMs: number;
  rssMb: number;
  files: number;
  sites: number;
  counts: Record<string, number>;
}

/** Whole-tree scan in a fresh process, so that its peak RSS (workers included) is its own. */
async function scanInChild(tree: string): Promise<ScanRun> {
  const mod = fileURLToPath(new URL("../analysis/io/scan-tree.js", import.meta.url));
  const script = `
    const { scanTree } = await import(${JSON.stringify(mod)});
    const t0 = performance.now();
    const r = await scanTree(${JSON.stringify(tree)});
    const ms = performance.now() - t0;
    const u = process.cpuUsage();
    process.stdout.write(JSON.stringify({ ms, cpuMs: (u.user + u.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024, files: r.files, sites: r.sites, counts: r.counts }));
  `;
  const file = path.join(os.tmpdir(), `irqtriage-scan-bench-${process.pid}.mjs`);
  await writeFile(file, script);
  try {
    const { stdout } = await run(process.execPath, [file], { maxBuffer: 1 << 24 });
    return JSON.parse(stdout) as ScanRun;
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * Wall and CPU time of an outside command (CPU via /usr/bin/time when present: fair on a busy
 * box). It runs in its own process group so that a timeout also ends its forked workers.
 */
async function timed(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 300_000,
): Promise<{ ms: number; cpuMs: number | null; lines: number; ok: boolean; timedOut: boolean }> {
  const useTime = existsSync("/usr/bin/time");
  const t0 = performance.now();
  const child = useTime
    ? spawn("/usr/bin/time", ["-f", "@@TIME %U %S", cmd, ...args], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(cmd, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  const ms = performance.now() - t0;
  const m = /@@TIME ([\d.]+) ([\d.]+)/.exec(stderr);
  const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : null;
  const out = stdout.split("\n").filter(Boolean);
  // spatch's `*` rules print matches as removed lines of a diff: count those (call sites).
  const lines = cmd === "spatch" ? out.filter((l) => l.startsWith("-") && !l.startsWith("---")).length : out.length;
  return { ms, cpuMs, lines, ok: code === 0 || code === 1, timedOut };
}

const cpu = (x: { cpuMs: number | null }): string => (x.cpuMs === null ? "" : `, CPU ${x.cpuMs.toFixed(0)} ms`);

export async function bench(log: (line: string) => void): Promise<void> {
  const tree = mirrorPath();
  if (!existsSync(path.join(tree, "kernel/irq/irqdomain.c"))) {
    log(`skipped: no Linux mirror at ${tree} (scripts/make-linux-mirror.sh builds it)`);
    return;
  }
  const rules = await loadBalanceRules();
  const names = apiNames(rules);
  log(`tree: ${tree}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")} on ${os.availableParallelism()} cores`);

  const grep = await timed("git", ["grep", "-l", "-F", ...names.flatMap((n) => ["-e", n]), "--", "*.c"], tree);
  log(`git grep -l (candidate files)     ${grep.ms.toFixed(0).padStart(6)} ms  ${grep.lines} files${cpu(grep)}   (issue: ~1 s)`);

  const scans = [];
  for (let i = 0; i < 3; i++) scans.push(await scanInChild(tree));
  const last = scans[scans.length - 1]!;
  log(
    `whole-tree scan (median of 3)     ${median(scans.map((s) => s.ms)).toFixed(0).padStart(6)} ms  target <= 3000 ms  ` +
      `(runs: ${scans.map((s) => s.ms.toFixed(0)).join(", ")})`,
  );
  log(`  CPU time (all threads), median  ${median(scans.map((s) => s.cpuMs)).toFixed(0).padStart(6)} ms  (on an idle 2-core machine wall ~ max(git grep, CPU/2) + startup)`);
  log(`peak RSS of the scan process      ${Math.max(...scans.map((s) => s.rssMb)).toFixed(0).padStart(6)} MB  target <= 400 MB`);
  log(`files ${last.files}, call sites ${last.sites}; units per class: ${Object.entries(last.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);

  // Delta for a one-driver patch: drop the first irq_dispose_mapping() line of a real driver (a small
  // irqchip and a 3,000-line Ethernet driver). Rules are loaded once, as in the daemon.
  for (const driver of ["drivers/irqchip/irq-ts4800.c", "drivers/net/ethernet/ibm/emac/core.c"]) {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "irqtriage-scan-bench-"));
    try {
      const text = await readFile(path.join(tree, driver), "utf8");
      const patched = text.replace(/^.*irq_dispose_mapping\(.*\n/m, "");
      await mkdir(path.join(tmp, path.dirname(driver)), { recursive: true });
      await writeFile(path.join(tmp, driver), patched);
      const times: number[] = [];
      let kinds = "";
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const d = await analyzeDelta({ baseTree: tree, appliedTree: tmp, changedFiles: [driver], rules });
        times.push(performance.now() - t0);
        kinds = d.changes.map((c) => `${c.kind}: ${c.before?.class ?? "-"} -> ${c.after?.class ?? "-"}`).join("; ");
      }
      const lines = text.split("\n").length;
      log(`delta, one-driver patch (median 7) ${median(times).toFixed(0).padStart(5)} ms  target <= 300 ms  (${driver}, ${lines} lines: ${kinds || "no change"})`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  const spatch = spawnSync("spatch", ["--version"], { encoding: "utf8" });
  if (spatch.status !== 0) {
    log("spatch: not installed (apt-get install coccinelle) - comparison skipped");
    return;
  }
  const cocci = path.join(os.tmpdir(), `irqtriage-callsites-${process.pid}.cocci`);
  await writeFile(cocci, `@r@\nidentifier f = {${names.join(", ")}};\nexpression list es;\n@@\n* f(es)\n`);
  // spatch -j puts its per-worker folders in the current directory unless told otherwise:
  // keep them out of the (read-only) tree.
  const spTmp = await mkdtemp(path.join(os.tmpdir(), "irqtriage-spatch-"));
  try {
    const sp = await timed(
      "spatch",
      ["--use-gitgrep", "-j", "2", "--very-quiet", "--tmp-dir", path.join(spTmp, "par"), "--sp-file", cocci, "--dir", "."],
      tree,
    );
    const status = sp.timedOut ? " (timed out: killed after 300 s)" : sp.ok ? "" : " (spatch reported an error)";
    log(`spatch --use-gitgrep -j 2 (call-site rule) ${sp.ms.toFixed(0).padStart(6)} ms  ${sp.lines} call sites${cpu(sp)}${status}   (issue: ~7 s)`);
  } finally {
    await rm(cocci, { force: true });
    await rm(spTmp, { recursive: true, force: true });
  }
}
