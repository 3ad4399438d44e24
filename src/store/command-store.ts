/** Maintainers' commands (a history that is also the memory of ignores, quiet and rate limits) and retest requests. */
export interface CommandStore {
  /**
   * A maintainer asked for a new run with a new reply (`#irqtriage retest`). Enqueues the
   * triage job of the thread of `msgid` with a retest token; the next reply of that thread's
   * revisions is sent even though the revision was answered before. `enqueue: false` records
   * the token only (`replay --now` runs the thread itself).
   */
  requestRetest(req: { msgid: string; requestedBy: string; now: number; enqueue?: boolean }): Promise<{ jobId: number | null; root: string } | null>;
  recordCommand(cmd: NewCommand): Promise<{ id: number; inserted: boolean }>;
  updateCommand(id: number, patch: { state: CommandState; result?: unknown; replyKey?: string | null }, now: number): Promise<void>;
  commands(opts?: { limit?: number; sender?: string; since?: number }): Promise<CommandRecord[]>;
}

export type CommandState = "received" | "refused" | "done" | "failed";

export interface NewCommand {
  /** The command mail's Message-ID. Together with `index`, unique: a mail seen twice is one command. */
  msgid: string;
  index: number;
  sender: string;
  verb: string;
  args: string[];
  thread: string | null;
  now: number;
}

export interface CommandRecord extends Omit<NewCommand, "now"> {
  id: number;
  state: CommandState;
  result: unknown;
  replyKey: string | null;
  createdAt: number;
  updatedAt: number;
}
