import { readFile } from "node:fs/promises";
import path from "node:path";
import parseDiff from "parse-diff";
import type { Logger } from "pino";
import { runGit } from "../../kernel/io/run-git.js";
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

export interface DeltaOptions {
  /** The base tree (mirror checkout or worktree at the series base). */
  baseTree: string;
  /** Read base files at this commit of `baseTree`'s repository (`git show rev:file`) instead of its checkout. */
  baseRev?: string | null;
  /** How to read a base file (the pipeline passes its mirror port); default: `baseRev` or the checkout. */
  readBaseFile?: (file: string) => Promise<string | null>;
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
  // Through the hardened runner: hooks off, no network, sanitized environment.
  const r = await runGit(["cat-file", "blob", `${rev}:${file}`], { cwd: repo, okCodes: [0, 128] }).catch(() => null);
  return r && r.code === 0 ? r.stdout : null;
}

async function changedFromGit(baseTree: string, appliedTree: string, baseRev?: string | null): Promise<string[]> {
  const { stdout: base } = await runGit(["rev-parse", "--verify", "--end-of-options", baseRev ?? "HEAD"], { cwd: baseTree });
  const { stdout } = await runGit(["diff", "--name-only", "-z", base.trim(), "HEAD", "--"], { cwd: appliedTree });
  return stdout.split("\0").filter(Boolean);
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
  const side = async (read: (file: string) => Promise<string | null>): Promise<FileFacts[]> => {
    const out: FileFacts[] = [];
    for (const f of files) {
      const text = await read(f);
      if (text !== null) out.push(extractFileFacts(f, text, rules, parser));
    }
    return out;
  };
  const baseRev = opts.baseRev;
  const readBase = opts.readBaseFile ?? ((f: string) => (baseRev ? showOrNull(opts.baseTree, baseRev, f) : readOrNull(path.join(opts.baseTree, f))));
  const only = new Set(files);
  const context = (opts.baseScan?.facts ?? []).filter((f) => !only.has(f.file));
  let before: Finding[] = [];
  let after: Finding[] = [];
  let changes: DeltaChange[] = [];
  if (opts.appliedTree && files.length) {
    const applied = opts.appliedTree;
    const [b, a] = [await side(readBase), await side((f) => readOrNull(path.join(applied, f)))];
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
