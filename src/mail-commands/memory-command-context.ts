import type { TreeConfig } from "../config/sections/commands.js";
import type { CommandContext, CommandRecord, IgnoreRecord, SeriesStatus, ThreadRef } from "./command-context.js";

export interface QueuedJob {
  jobId: string;
  kind: "retest" | "test";
  lineage: string;
  version: number;
  tree?: TreeConfig;
  ref?: string;
}

export interface MemoryCommandContext extends CommandContext {
  readonly jobs: QueuedJob[];
  readonly history: CommandRecord[];
  readonly quiet: Set<string>;
  /** Register a thread: every Message-ID in `msgids` belongs to `ref`. */
  addThread(ref: ThreadRef, msgids: string[]): void;
  addFinding(id: string, text: string): void;
  setStatus(lineage: string, status: Omit<SeriesStatus, "quiet" | "ignores">): void;
}

/** In-memory CommandContext: for tests and for runs without the daemon's store. Idempotent by key. */
export function memoryCommandContext(): MemoryCommandContext {
  const threads = new Map<string, ThreadRef>();
  const findings = new Map<string, string>();
  const statuses = new Map<string, Omit<SeriesStatus, "quiet" | "ignores">>();
  const ignores: IgnoreRecord[] = [];
  const seenKeys = new Map<string, string>();
  const jobs: QueuedJob[] = [];
  const history: CommandRecord[] = [];
  const quiet = new Set<string>();
  const once = (key: string, make: () => string): string => {
    const prev = seenKeys.get(key);
    if (prev !== undefined) return prev;
    const v = make();
    seenKeys.set(key, v);
    return v;
  };
  return {
    jobs,
    history,
    quiet,
    addThread(ref, msgids) {
      for (const m of msgids) threads.set(m, ref);
    },
    addFinding: (id, text) => void findings.set(id, text),
    setStatus: (lineage, s) => void statuses.set(lineage, s),
    async resolveThread(msgids) {
      // Nearest ancestor first: In-Reply-To, then References from the newest.
      for (const m of msgids) {
        const t = threads.get(m);
        if (t) return t;
      }
      return null;
    },
    async enqueueRetest({ lineage, version, key }) {
      const jobId = once(key, () => {
        const id = `job-${jobs.length + 1}`;
        jobs.push({ jobId: id, kind: "retest", lineage, version });
        return id;
      });
      return { jobId };
    },
    async enqueueTest({ lineage, version, tree, ref, key }) {
      const jobId = once(key, () => {
        const id = `job-${jobs.length + 1}`;
        jobs.push({ jobId: id, kind: "test", lineage, version, tree, ref });
        return id;
      });
      return { jobId };
    },
    async statusOf(lineage) {
      const s = statuses.get(lineage);
      if (!s) return null;
      return { ...s, quiet: quiet.has(lineage), ignores: ignores.filter((i) => i.lineage === lineage) };
    },
    explain: async (id) => findings.get(id) ?? null,
    async ignore(record, { key }) {
      once(key, () => {
        ignores.push(record);
        return "";
      });
    },
    listIgnores: async (lineage) => ignores.filter((i) => i.lineage === lineage),
    async setQuiet({ lineage, key }) {
      once(key, () => {
        quiet.add(lineage);
        return "";
      });
    },
    recordCommand: async (r) => void history.push(r),
  };
}
