import type { TreeConfig } from "./commands-config.js";

/** The series revision a command mail is about (found from its In-Reply-To / References). */
export interface ThreadRef {
  lineage: string;
  version: number;
  title: string;
}

/** A remembered false positive: given on one revision, carried to later ones of the lineage. */
export interface IgnoreRecord {
  lineage: string;
  findingId: string;
  reason: string;
  /** The maintainer's address. */
  by: string;
  /** Revision the ignore was given on. */
  version: number;
  at: Date;
}

export interface SeriesStatus {
  title: string;
  revisions: { version: number; state: string; findings: number }[];
  quiet: boolean;
  ignores: IgnoreRecord[];
}

/** One command as recorded in the command history (refusals included). */
export interface CommandRecord {
  msgid: string;
  line: number | null;
  sender: string | null;
  verb: string | null;
  outcome: "done" | "invalid" | "too-many" | "failed" | "refused" | "rate-limited";
  detail: string;
  at: Date;
}

/**
 * What command handlers need from the rest of the bot. The daemon implements it on its store
 * and job queue; `memoryCommandContext()` implements it for tests and one-shot runs.
 * Every mutating call carries `key` (Message-ID + line of the command): re-processing the same
 * mail after a crash must not queue a second job or record a second ignore.
 */
export interface CommandContext {
  /** The revision the thread of these Message-IDs belongs to, or null (a mail to the bot). */
  resolveThread(msgids: readonly string[]): Promise<ThreadRef | null>;
  enqueueRetest(lineage: string, version: number, key: string): Promise<{ jobId: string }>;
  /** `tree` comes from the config, `ref` passed checkRefName(); still an argument, never a shell word. */
  enqueueTest(lineage: string, version: number, tree: TreeConfig, ref: string, key: string): Promise<{ jobId: string }>;
  statusOf(lineage: string): Promise<SeriesStatus | null>;
  /** Text explaining one finding (plain, may be several lines), or null when unknown. */
  explain(findingId: string, lineage: string | null): Promise<string | null>;
  ignore(record: IgnoreRecord, key: string): Promise<void>;
  listIgnores(lineage: string): Promise<IgnoreRecord[]>;
  setQuiet(lineage: string, by: string, key: string): Promise<void>;
  recordCommand(record: CommandRecord): Promise<void>;
}
