import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { analyzeDelta } from "../../analysis/io/analyze-delta.js";
import { loadBalanceRules } from "../../analysis/io/load-balance-rules.js";
import { scanTree } from "../../analysis/io/scan-tree.js";
import { renderFindingsSection } from "../../analysis/render-findings-section.js";
import { balanceClasses, neutralClasses, type BalanceClass, type Finding, type ScanJson } from "../../analysis/scan-result.js";
import { countClasses } from "../../analysis/count-classes.js";
import { ExitCode, UsageError } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { optBool, optInt, optString } from "../args.js";
import type { CliCommand, CliIO } from "../cli-command.js";

const help = `usage: irqtriage scan <tree> [--json] [--class <name>[,<name>...]] [--limit N]
       irqtriage scan <base-tree> --applied <tree> [--diff <file>] [--json]

Mapping-balance analysis of a kernel tree: every call site of the IRQ-mapping
API (rules/mapping-api.yaml), attributed to its function and followed through
static helpers to lifecycle roots (probe/remove, module_init/exit, devm
actions, irq_domain_ops, bus notifiers, error unwinding), classified per file:
${balanceClasses.join(", ")}.

  --json            print {tree, files, sites, counts, findings} (paths relative)
  --class <names>   only these classes (comma-separated)
  --limit N         text output: findings shown (default 25; --json shows all)
  --workers N       parser threads (default: min(2, cores))
  --local           do not follow exported helpers into other files
  --applied <tree>  delta mode: what the applied tree changes against <base-tree>
  --diff <file>     delta mode: the patch (changed files; kernel/irq/ semantics)

Exit status: 0 when nothing reported is an imbalance (only balanced/library),
1 when a reported finding is an imbalance (or, in delta mode, when the patch
adds an imbalance or changes core semantics), 2 on bad usage.
A progress bar is drawn on stderr when stderr is a terminal.`;

function parseClasses(v: string | undefined): Set<BalanceClass> | null {
  if (!v) return null;
  const out = new Set<BalanceClass>();
  for (const c of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!(balanceClasses as readonly string[]).includes(c)) throw new UsageError(`unknown class "${c}" (known: ${balanceClasses.join(", ")})`);
    out.add(c as BalanceClass);
  }
  return out;
}

async function requireDir(p: string): Promise<void> {
  const s = await stat(p).catch(() => null);
  if (!s?.isDirectory()) throw new UsageError(`not a directory: ${p}`);
}

function textReport(json: ScanJson, shown: Finding[], limit: number): string {
  const lines = [`${json.tree}: ${json.files} files, ${json.sites} call sites, ${json.findings.length} units`];
  for (const c of balanceClasses) lines.push(`  ${c.padEnd(26)} ${json.counts[c] ?? 0}`);
  lines.push("");
  for (const f of shown.slice(0, limit)) {
    lines.push(`${f.class} [${f.confidence}] ${f.unit}`);
    lines.push(`  ${f.reason}`);
    for (const s of f.create.slice(0, 3)) lines.push(`  create  ${s.file}:${s.line} ${s.function}() [${s.path ?? ""}]`);
    for (const s of f.release.slice(0, 3)) lines.push(`  release ${s.file}:${s.line} ${s.function}() [${s.path ?? ""}]`);
  }
  if (shown.length > limit) lines.push(`... ${shown.length - limit} more (--limit, --class, or --json for all)`);
  return lines.join("\n") + "\n";
}

function progress(io: CliIO, stderrTTY: boolean): ((done: number, total: number | null) => void) | undefined {
  if (!stderrTTY) return undefined;
  return (done, total) => {
    const width = 30;
    const frac = total ? done / total : 0;
    const bar = total ? "#".repeat(Math.round(frac * width)).padEnd(width) : "#".repeat(done % (width + 1)).padEnd(width);
    io.stderr.write(`\rscan [${bar}] ${done}${total ? `/${total}` : ""} files${total ? "\n" : ""}`);
  };
}

export const command: CliCommand = {
  name: "scan",
  summary: "mapping-balance analysis of a kernel tree (or of a patch: --applied)",
  help,
  allowPositionals: true,
  options: {
    json: { type: "boolean" },
    class: { type: "string" },
    limit: { type: "string" },
    workers: { type: "string" },
    local: { type: "boolean" },
    applied: { type: "string" },
    diff: { type: "string" },
  },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError("scan takes exactly one tree");
    const tree = path.resolve(io.cwd, args.positionals[0]!);
    await requireDir(tree);
    const classes = parseClasses(optString(args, "class"));
    const json = optBool(args, "json");
    const log = createLogger({ env: io.env, name: "scan" });
    const rules = await loadBalanceRules();
    const workers = optInt(args, "workers", Math.min(2, Math.max(1, (await import("node:os")).availableParallelism())), 0, 16);
    const applied = optString(args, "applied");
    const diffPath = optString(args, "diff");
    const stderrTTY = Boolean((io.stderr as NodeJS.WriteStream).isTTY);

    if (applied || diffPath) {
      const appliedTree = applied ? path.resolve(io.cwd, applied) : null;
      if (appliedTree) await requireDir(appliedTree);
      const diffText = diffPath ? await readFile(path.resolve(io.cwd, diffPath), "utf8").catch(() => {
        throw new UsageError(`cannot read --diff ${diffPath}`);
      }) : undefined;
      const delta = await analyzeDelta({ baseTree: tree, appliedTree, rules, log, ...(diffText !== undefined ? { diffText } : {}) });
      if (json) io.stdout.write(JSON.stringify(delta, null, 2) + "\n");
      else io.stdout.write(renderFindingsSection(delta, { pointer: `irqtriage scan ${tree} --json` }));
      const bad = delta.changes.some((c) => c.kind === "new-imbalance" || c.kind === "class-changed") || !!delta.core;
      return bad ? ExitCode.findings : ExitCode.ok;
    }

    const onProgress = progress(io, stderrTTY);
    const result = await scanTree(tree, { rules, log, workers, crossFile: !optBool(args, "local"), ...(onProgress ? { onProgress } : {}), signal: io.signal });
    const shown = classes ? result.findings.filter((f) => classes.has(f.class)) : result.findings;
    const out: ScanJson = { tree: result.tree, files: result.files, sites: result.sites, counts: classes ? countClasses(shown) : result.counts, findings: shown };
    if (classes) for (const c of balanceClasses) if (!classes.has(c)) delete out.counts[c];
    if (json) io.stdout.write(JSON.stringify(out, null, 2) + "\n");
    else io.stdout.write(textReport({ ...out, counts: result.counts }, shown, optInt(args, "limit", 25, 1)));
    return shown.some((f) => !neutralClasses.has(f.class)) ? ExitCode.findings : ExitCode.ok;
  },
};
