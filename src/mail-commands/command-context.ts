import type { TreeConfig } from "../config/sections/commands.js";

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
  /** `findings` null when the findings count is not known (analysis not run or not stored). */
  revisions: { version: number; state: string; findings: number | null }[];
  quiet: boolean;
  ignores: IgnoreRecord[];
}

/** One command as recorded in the command history (refusals included). */
export interface CommandRecord {
  msgid: string;
  line: number | null;
  sender: string | null;
  /** Lineage of the thread the command was given in, when known (rate limits per thread). */
  lineage: string | null;
  verb: string | null;
  outcome: "done" | "invalid" | "too-many" | "failed" | "refused" | "rate-limited";
  detail: string;
  at: Date;
}

/**
 * What command handlers need from the rest of the bot. The daemon implements it on its store
 * and job queue; `memoryCommandContext()` implements it for tests and one-shot runs.
 * Every mutating call carries a CommandRequest whose `key` (Message-ID + line of the command)
 * makes it idempotent: re-processing the same mail after a crash must not queue a second job or
 * record a second ignore.
 */
export interface CommandContext {
  /** The revision the thread of these Message-IDs belongs to, or null (a mail to the bot). */
  resolveThread(msgids: readonly string[]): Promise<ThreadRef | null>;
  enqueueRetest(req: CommandRequest): Promise<{ jobId: string }>;
  /** `tree` comes from the config, `ref` passed checkRefName(); still an argument, never a shell word. */
  enqueueTest(req: CommandRequest & { tree: TreeConfig; ref: string }): Promise<{ jobId: string }>;
  statusOf(lineage: string): Promise<SeriesStatus | null>;
  /** Text explaining one finding (plain, may be several lines), or null when unknown. */
  explain(findingId: string, lineage: string | null): Promise<string | null>;
  ignore(record: IgnoreRecord, req: CommandRequest): Promise<void>;
  listIgnores(lineage: string): Promise<IgnoreRecord[]>;
  setQuiet(req: CommandRequest): Promise<void>;
  recordCommand(record: CommandRecord): Promise<void>;
}

/** Who asked for what, where: passed to every mutating call. */
export interface CommandRequest {
  lineage: string;
  version: number;
  /** Idempotency key "<msgid>#<line>". */
  key: string;
  /** The command mail's Message-ID (the daemon's retest token). */
  msgid: string;
  line: number;
  /** The authorized sender. */
  by: string;
}
