import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { silentLogger } from "../../log/logger.js";
import { apiNames, type BalanceRules } from "../balance-rules.js";
import { createCParser } from "../c-parser.js";
import { classifyUnits } from "../classify-units.js";
import type { FileFacts } from "../file-facts.js";
import { countClasses } from "../count-classes.js";
import type { ScanResult } from "../scan-result.js";
import { listCandidates } from "./list-candidates.js";
import { loadBalanceRules } from "./load-balance-rules.js";
import { extractBatch, filesMentioning, type WorkerJob, type WorkerReply } from "./scan-worker.js";

export interface ScanOptions {
  rules?: BalanceRules;
  /** Worker threads (default: min(2, cores)); 0 parses in this thread (small trees, delta). */
  workers?: number;
  /** Follow exported helpers to their callers in the other candidate files. Default true. */
  crossFile?: boolean;
  /** Scan exactly these files (relative paths) instead of searching the tree. */
  files?: string[];
  log?: Logger;
  onProgress?: (done: number, total: number | null) => void;
  signal?: AbortSignal;
}

/** The compiled worker: next to this file in dist/, or dist/ when running from src/ (vitest). */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return new URL("./scan-worker.js", import.meta.url);
  const root = path.resolve(path.dirname(here), "../../..");
  const built = path.join(root, "dist/analysis/io/scan-worker.js");
  if (!existsSync(built)) throw new Error(`scan worker not built (${built}); run npm run build`);
  return new URL(`file://${built}`);
}

type Extract = (files: string[], seeds?: string[]) => Promise<WorkerReply>;

interface Pool {
  run: Extract;
  /** Cross-file pass over the files each worker already read. */
  rescan: (seeds: string[], definedIn: Record<string, string[]>) => Promise<WorkerReply[]>;
  close: () => Promise<void>;
}

/** A small pool: jobs go to whichever worker is idle. */
function makePool(tree: string, rules: BalanceRules, n: number): Pool {
  if (n <= 0) {
    const parser = createCParser();
    const keep = new Map<string, string>();
    let id = 0;
    return {
      run: async (files, seeds) => ({ id: id++, ...(await extractBatch(tree, files, rules, parser, seeds ? new Set(seeds) : undefined, keep)) }),
      rescan: async (seeds, definedIn) => [{ id: id++, ...(await extractBatch(tree, filesMentioning(keep, seeds, definedIn), rules, parser, new Set(seeds))) }],
      close: async () => {},
    };
  }
  const url = workerUrl();
  // `node --input-type=module -e` passes its flag on to workers, where it is an error.
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type") && a !== "-e" && a !== "--eval");
  const workers = Array.from({ length: n }, () => new Worker(url, { execArgv, workerData: { role: "irqtriage-scan", tree, rules } }));
  const idle = [...workers];
  const queue: { job: WorkerJob; resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  const pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void; worker: Worker }>();
  let nextId = 0;
  const pump = (): void => {
    while (idle.length && queue.length) {
      const w = idle.pop()!;
      const q = queue.shift()!;
      pending.set(q.job.id, { resolve: q.resolve, reject: q.reject, worker: w });
      w.postMessage(q.job);
    }
  };
  const direct = new Map<number, (r: WorkerReply) => void>();
  for (const w of workers) {
    w.on("message", (r: WorkerReply) => {
      const d = direct.get(r.id);
      if (d) {
        direct.delete(r.id);
        d(r);
        return;
      }
      const p = pending.get(r.id);
      pending.delete(r.id);
      idle.push(w);
      p?.resolve(r);
      pump();
    });
    // A dead worker fails the whole scan (every waiting promise), rather than hanging it.
    w.on("error", (err) => {
      for (const q of queue.splice(0)) q.reject(err);
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(err);
      }
      for (const [id, d] of direct) {
        direct.delete(id);
        d({ id, facts: [], errors: [{ file: "*", message: err.message }] });
      }
    });
  }
  return {
    run: (files, seeds) =>
      new Promise((resolve, reject) => {
        queue.push({ job: { id: nextId++, files, ...(seeds ? { seeds } : {}) }, resolve, reject });
        pump();
      }),
    // Every worker at once (they are idle by then): each rescans the files it kept.
    rescan: (seeds, definedIn) =>
      Promise.all(
        workers.map(
          (w) =>
            new Promise<WorkerReply>((resolve) => {
              const id = nextId++;
              direct.set(id, resolve);
              w.postMessage({ id, files: [], rescan: seeds, definedIn } satisfies WorkerJob);
            }),
        ),
      ),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Exported helpers that hold a site but have no root or caller in their own file. */
export function danglingExports(facts: FileFacts[], rules: BalanceRules): { names: string[]; definedIn: Record<string, string[]> } {
  const api = new Set(rules.families.flatMap((f) => [...f.create, ...f.release, ...f.related]));
  const out = new Set<string>();
  const definedIn: Record<string, string[]> = {};
  for (const f of facts) {
    const rooted = new Set(f.roots.map((r) => r.function));
    for (const fn of f.functions) {
      if (fn.isStatic || rooted.has(fn.name) || api.has(fn.name)) continue;
      if (fn.callers.some((c) => c.caller !== null)) continue;
      if (fn.name.length < 6) continue;
      out.add(fn.name);
      (definedIn[fn.name] ??= []).push(f.file);
    }
  }
  return { names: [...out].sort(), definedIn };
}

/**
 * Scan a kernel tree: candidate files by a cheap search, facts by tree-sitter in worker threads,
 * then classification of every unit. I/O edge; the deciding is in classify-units.ts.
 */
export async function scanTree(tree: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const log = opts.log ?? silentLogger();
  const t0 = performance.now();
  const rules = opts.rules ?? (await loadBalanceRules());
  const nWorkers = opts.workers ?? Math.min(2, availableParallelism());
  const pool = makePool(tree, rules, opts.files && opts.files.length < 40 ? 0 : nWorkers);
  const facts = new Map<string, FileFacts>();
  const batchSize = 6;
  let listed = 0;
  let done = 0;
  let listMs = 0;
  try {
    const jobs: Promise<void>[] = [];
    const submit = (files: string[], seeds?: string[]): void => {
      jobs.push(
        pool.run(files, seeds).then((r) => {
          for (const f of r.facts) facts.set(f.file, f);
          for (const e of r.errors) log.warn({ file: e.file, err: e.message }, "scan: cannot read file");
          done += files.length;
          opts.onProgress?.(done, null);
        }),
      );
    };
    let batch: string[] = [];
    const source = opts.files ? toAsync(opts.files) : listCandidates(tree, apiNames(rules), opts.signal ? { signal: opts.signal } : {});
    for await (const file of source) {
      listed++;
      batch.push(file);
      if (batch.length >= batchSize) {
        submit(batch);
        batch = [];
      }
    }
    if (batch.length) submit(batch);
    listMs = performance.now() - t0;
    await Promise.all(jobs);
    opts.onProgress?.(done, listed);

    if (opts.crossFile ?? !opts.files) {
      // Callers of an exported helper are looked for among the candidate files (kept in the
      // workers): a whole-tree `git grep -w` for ~200 common names costs more than the scan.
      const { names: seeds, definedIn } = danglingExports([...facts.values()], rules);
      if (seeds.length) {
        const replies = await pool.rescan(seeds, definedIn);
        let files = 0;
        for (const r of replies) {
          files += r.facts.length;
          for (const f of r.facts) facts.set(f.file, f);
        }
        log.debug({ seeds: seeds.length, files }, "scan: cross-file pass");
      }
    }
  } finally {
    await pool.close();
  }
  const t1 = performance.now();
  const all = [...facts.values()].sort((a, b) => a.file.localeCompare(b.file));
  const findings = classifyUnits(all, rules);
  const t2 = performance.now();
  const sites = all.reduce((n, f) => n + f.sites.length, 0);
  log.info({ tree, files: listed, sites, findings: findings.length, ms: Math.round(t2 - t0) }, "scan: done");
  return {
    tree,
    files: listed,
    sites,
    counts: countClasses(findings),
    findings,
    facts: all,
    timings: { listMs: Math.round(listMs), parseMs: Math.round(t1 - t0), classifyMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0) },
  };
}

async function* toAsync(xs: string[]): AsyncGenerator<string> {
  for (const x of xs) yield x;
}
