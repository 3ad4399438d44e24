import type { Logger } from "pino";
import type { Finding } from "./finding.js";
import type { GitMirror } from "./git-mirror.js";
import type { ReportSection } from "./report-section.js";
import type { RevisionResult } from "./triage-result.js";

/** The stages of the pipeline after apply, in the order they run. */
export type StageName = "balance" | "sim" | "qemu";

/**
 * Typed facts a stage publishes for the stages after it (the scratchpad of old, with types).
 * A stage reads only what an earlier stage wrote; absent means that stage did not run.
 */
export interface StageFacts {
  /** Balance classes of the units the series touches, after the patch (balance → sim). */
  touchedClasses?: readonly string[];
}

/** The series applied in a throwaway worktree. */
export interface AppliedTree {
  /** The worktree's folder (sparse: only the files the series touches are on disk). */
  path: string;
  /** The commit of the last applied patch; its objects are in the mirror's object store. */
  head: string;
}

/** What a stage gets for one series revision. `S` is the stage's own config section. */
export interface StageInput<S> {
  lineage: string;
  revision: RevisionResult;
  /** The diffs of the revision's patches, in order (untrusted text; already safety-checked). */
  diffs: readonly string[];
  /** The kernel mirror, or null when none is configured. */
  mirror: GitMirror | null;
  /** The commit the series was applied on (or would have been), or null. */
  base: string | null;
  /** The applied series, or null when it did not apply (or nothing was applied). */
  applied: AppliedTree | null;
  /** What the stages before this one published. */
  facts: Readonly<StageFacts>;
  /** Public ids of findings maintainers ignored on this lineage: left out of the section. */
  ignored: ReadonlySet<string>;
  config: S;
  /** The state folder (kernel build folders, caches). */
  stateDir: string;
  log: Logger;
  signal?: AbortSignal;
}

/** What a stage returns: plain data, structured-clone safe (it crosses to a helper process). */
export interface StageOutput<D = unknown> {
  /** The reply's section, or null when the stage has nothing worth a reviewer's time. */
  section: ReportSection | null;
  /** What a reviewer should look at; ids are stable across revisions. */
  findings: Finding[];
  /** Facts for the later stages. */
  facts: StageFacts;
  /** The stage's full result, kept in the store and the run's JSON. */
  details: D;
}

/** A later stage of the pipeline: balance analysis, simulation, QEMU. */
export interface Stage<S = unknown, D = unknown> {
  name: StageName;
  /** Whether the stage needs an applied tree (it is skipped when the series did not apply). */
  needsAppliedTree: boolean;
  run(input: StageInput<S>): Promise<StageOutput<D> | null>;
}

/** One stage's result for one revision, as stored and as `explain` / `status` read it. */
export interface StageRecord {
  stage: string;
  status: "done" | "failed" | "skipped";
  durationMs: number;
  findings: Finding[];
  details: unknown;
  /** Why it failed or was skipped. */
  error?: string;
}
