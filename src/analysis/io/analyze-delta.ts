import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import parseDiff from "parse-diff";
import type { Logger } from "pino";
import { silentLogger } from "../../log/logger.js";
import type { BalanceRules } from "../balance-rules.js";
import { createCParser, type CParser } from "../c-parser.js";
import { classifyUnits } from "../classify-units.js";
import { compareFindings, type DeltaChange } from "../compare-findings.js";
import { coreFanout, type CoreFanout } from "../core-fanout.js";
import { detectCoreSemantics, type CoreSemanticsChange } from "../detect-core-semantics.js";
import { extractFileFacts } from "../extract-file-facts.js";
import type { FileFacts } from "../file-facts.js";
import type { Finding, ScanResult } from "../scan-result.js";
import { loadBalanceRules } from "./load-balance-rules.js";
import { scanTree } from "./scan-tree.js";

const run = promisify(execFile);

export interface DeltaOptions {
  /** The base tree (mirror checkout or worktree at the series base). */
  baseTree: string;
  /** Read base files at this commit of `baseTree`'s repository (`git show rev:file`) instead of its checkout. */
  baseRev?: string | null;
  /** The tree with the patches applied; without it only the core fan-out is computed. */
  appliedTree?: string | null;
  /** Changed files (relative); default: from `diffText`, else `git diff --name-only` base..applied. */
  changedFiles?: string[];
  /** The series' diff text: used for file names and for core-semantics detection (kernel/irq/). */
  diffText?: string;
  /** A whole-tree scan of the base (cached by the caller): cross-file roots and the fan-out. */
  baseScan?: ScanResult;
  rules?: BalanceRules;
  log?: Logger;
  /** Share a parser between calls (the daemon). */
  parser?: CParser;
}

export interface DeltaResult {
  changedFiles: string[];
  changes: DeltaChange[];
  before: Finding[];
  after: Finding[];
  core: CoreSemanticsChange | null;
  fanout: CoreFanout | null;
  ms: number;
}

async function readOrNull(p: string): Promise<string | null> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return null;
  }
}

async function showOrNull(repo: string, rev: string, file: string): Promise<string | null> {
  try {
    const { stdout } = await run("git", ["-C", repo, "show", `${rev}:${file}`], { maxBuffer: 1 << 26 });
    return stdout;
  } catch {
    return null;
  }
}

async function changedFromGit(baseTree: string, appliedTree: string, baseRev?: string | null): Promise<string[]> {
  const { stdout: base } = await run("git", ["-C", baseTree, "rev-parse", baseRev ?? "HEAD"]);
  const { stdout } = await run("git", ["-C", appliedTree, "diff", "--name-only", base.trim(), "HEAD"], { maxBuffer: 1 << 24 });
  return stdout.split("\n").filter(Boolean);
}

/**
 * What a patch changes about mapping balance: re-analyse only the changed C files on both sides
 * (hundreds of milliseconds), compare units, and when the patch changes kernel/irq/ semantics,
 * fan out over the base tree's findings (a whole-tree scan unless `baseScan` is given).
 */
export async function analyzeDelta(opts: DeltaOptions): Promise<DeltaResult> {
  const t0 = performance.now();
  const log = opts.log ?? silentLogger();
  const rules = opts.rules ?? (await loadBalanceRules());
  let changed = opts.changedFiles;
  if (!changed && opts.diffText) {
    changed = parseDiff(opts.diffText).flatMap((f) => [f.from, f.to]).filter((x): x is string => !!x && x !== "/dev/null");
  }
  if (!changed && opts.appliedTree) changed = await changedFromGit(opts.baseTree, opts.appliedTree, opts.baseRev);
  const files = [...new Set(changed ?? [])].filter((f) => f.endsWith(".c") && !f.split("/").includes("..")).sort();

  const parser = opts.parser ?? createCParser();
  const side = async (tree: string, rev?: string | null): Promise<FileFacts[]> => {
    const out: FileFacts[] = [];
    for (const f of files) {
      const text = rev ? await showOrNull(tree, rev, f) : await readOrNull(path.join(tree, f));
      if (text !== null) out.push(extractFileFacts(f, text, rules, parser));
    }
    return out;
  };
  const only = new Set(files);
  const context = (opts.baseScan?.facts ?? []).filter((f) => !only.has(f.file));
  let before: Finding[] = [];
  let after: Finding[] = [];
  let changes: DeltaChange[] = [];
  if (opts.appliedTree && files.length) {
    const [b, a] = [await side(opts.baseTree, opts.baseRev), await side(opts.appliedTree)];
    before = classifyUnits([...context, ...b], rules, only);
    after = classifyUnits([...context, ...a], rules, only);
    changes = compareFindings(before, after);
  }
  const core = opts.diffText ? detectCoreSemantics(opts.diffText, rules) : null;
  let fanout: CoreFanout | null = null;
  if (core) {
    const base = opts.baseScan ?? (await scanTree(opts.baseTree, { rules, log }));
    fanout = coreFanout(core, base.findings);
  }
  const ms = Math.round(performance.now() - t0);
  log.info({ files: files.length, changes: changes.length, core: !!core, ms }, "delta: done");
  return { changedFiles: files, changes, before, after, core, fanout, ms };
}
