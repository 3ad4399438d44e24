import { readFile } from "node:fs/promises";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type { BalanceRules } from "../balance-rules.js";
import { createCParser } from "../c-parser.js";
import { extractFileFacts } from "../extract-file-facts.js";
import type { FileFacts } from "../file-facts.js";

/** Messages between scan-tree.ts and its workers. */
export interface WorkerJob {
  id: number;
  files: string[];
  seeds?: string[];
  /** Cross-file pass: re-extract, with these seeds, the kept files that mention one of them. */
  rescan?: string[];
  /** Seed name -> files defining it (those files are not rescanned for it). */
  definedIn?: Record<string, string[]>;
}
export interface WorkerReply {
  id: number;
  facts: FileFacts[];
  errors: { file: string; message: string }[];
}

/** Read and extract a batch of files (shared by the worker and the in-process path). */
export async function extractBatch(
  tree: string,
  files: string[],
  rules: BalanceRules,
  parser: ReturnType<typeof createCParser>,
  seeds?: ReadonlySet<string>,
  keep?: Map<string, string>,
): Promise<{ facts: FileFacts[]; errors: { file: string; message: string }[] }> {
  const facts: FileFacts[] = [];
  const errors: { file: string; message: string }[] = [];
  for (const file of files) {
    try {
      const text = keep?.get(file) ?? (await readFile(path.join(tree, file), "utf8"));
      keep?.set(file, text);
      facts.push(extractFileFacts(file, text, rules, parser, seeds ? { externalSeeds: seeds } : {}));
    } catch (err) {
      errors.push({ file, message: (err as Error).message });
    }
  }
  return { facts, errors };
}

/** The kept files that mention a seed as a whole word (identifiers checked against a set). */
export function filesMentioning(keep: Map<string, string>, seeds: string[], definedIn: Record<string, string[]> = {}): string[] {
  if (!seeds.length) return [];
  const want = new Set(seeds);
  const out: string[] = [];
  for (const [file, text] of keep) {
    for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]{5,}/g)) {
      // The file that defines a helper mentions it too; only other files can call it across files.
      if (want.has(m[0]) && !definedIn[m[0]]?.includes(file)) {
        out.push(file);
        break;
      }
    }
  }
  return out;
}

if (parentPort && (workerData as { role?: string } | null)?.role === "irqtriage-scan") {
  const { tree, rules } = workerData as { tree: string; rules: BalanceRules };
  const parser = createCParser();
  const port = parentPort;
  // Texts of the files this worker parsed, for the cross-file pass; dropped after it.
  const keep = new Map<string, string>();
  port.on("message", (job: WorkerJob) => {
    const files = job.rescan ? filesMentioning(keep, job.rescan, job.definedIn) : job.files;
    const seeds = job.rescan ?? job.seeds;
    void extractBatch(tree, files, rules, parser, seeds ? new Set(seeds) : undefined, keep).then((r) => {
      if (job.rescan) keep.clear();
      const reply: WorkerReply = { id: job.id, ...r };
      port.postMessage(reply);
    });
  });
}
