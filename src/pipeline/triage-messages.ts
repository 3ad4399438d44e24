import type { Logger } from "pino";
import { mailTextOf } from "../errors.js";
import type { Config } from "../config/config.js";
import type { Publisher } from "../github/publisher.js";
import { applySeries, refuse, unsafePatches, type AppliedSeries } from "../kernel/io/apply-series.js";
import type { LocalGitMirror } from "../kernel/io/local-git-mirror.js";
import type { IgnoreRecord } from "../mail-commands/command-context.js";
import { buildSeries } from "../mail/build-series.js";
import type { MailMessage } from "../mail/mail-message.js";
import type { Revision } from "../mail/series-types.js";
import { toRevisionResult } from "../mail/to-revision-result.js";
import { judgeRelevance } from "../patch/judge-relevance.js";
import type { RelevanceRules } from "../patch/relevance-rules.js";
import { composeReply, type ComposedReply, type ReplyTarget } from "../report/io/compose-reply.js";
import type { Finding } from "../types/finding.js";
import type { OutgoingReply } from "../types/outgoing-reply.js";
import type { ReportSection } from "../types/report-section.js";
import type { StageRecord } from "../types/stage.js";
import type { ApplyResult, RevisionResult, TriageError, TriageResult } from "../types/triage-result.js";
import { describeApply, describeIntro } from "./describe-revision.js";
import { runStages } from "./run-stages.js";
import type { PipelineStage } from "./stage-registry.js";

export interface TriageDeps {
  config: Config;
  log: Logger;
  rules: RelevanceRules;
  /** The kernel mirror; null means nothing is applied (apply status "skipped"). */
  mirror: LocalGitMirror | null;
  /** Later stages (balance analysis, simulation, QEMU), run in order for relevant revisions. */
  stages?: readonly PipelineStage[];
  /** Findings maintainers ignored on this lineage (`#irqtriage ignore`), carried to later revisions. */
  ignores?: (lineage: string) => Promise<readonly IgnoreRecord[]>;
  /** The GitHub mirror; null or absent = not published. */
  publisher?: Publisher | null;
  /** Revision keys to leave alone (the daemon passes those it has already answered). */
  skip?: ReadonlySet<string>;
  /**
   * A `#irqtriage test <tree> <ref>` run: only the newest revision of `lineage` is triaged, and
   * it is applied on `base` of `mirror` (the fetched tree), whatever its base-commit trailer says.
   */
  testOn?: TestTarget;
  /** Run each apply (worktree + git am) under this gate (daemon.concurrency.apply); stages have their own. */
  applyGate?: <T>(fn: () => Promise<T>) => Promise<T>;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface TestTarget {
  lineage: string;
  mirror: LocalGitMirror;
  base: string;
  /** How the reply names the base ("tip irq/core"). */
  label: string;
}

export interface RevisionRun {
  key: string;
  lineage: string;
  result: RevisionResult;
  /** Each later stage's record (output or failure): the store keeps them with the result. */
  stages: StageRecord[];
  /** What the stages found, minus what maintainers ignored. */
  findings: Finding[];
  /** The reply's sections (apply, stages, finding ids), for other renderings of the same review. */
  sections: ReportSection[];
  reply: OutgoingReply | null;
}

export interface TriageRun {
  result: TriageResult;
  /** One per revision worth answering, in the order of `result.series`. */
  replies: OutgoingReply[];
  revisions: RevisionRun[];
}

function replyTarget(rev: Revision): ReplyTarget | null {
  const m = rev.cover?.message ?? rev.patches[0]?.message ?? rev.pullMessage?.message ?? null;
  if (!m) return null;
  return replyTargetOf(m);
}

/** The parts of a received message a reply copies (checked again by composeReply). */
export function replyTargetOf(m: MailMessage, text: string = m.text): ReplyTarget {
  return { msgid: m.msgid, msgidSynthetic: m.msgidSynthetic, subject: m.subject, from: m.from, to: m.to, cc: m.cc, references: m.references, date: m.date, text };
}

function skippedApply(reason: string): ApplyResult {
  return { status: "skipped", base: null, baseReason: reason, failed: null };
}

/**
 * The triage pipeline over a set of messages: series → relevance → apply in a throwaway
 * worktree → later stages → one reply per relevant revision. Replies are returned, not sent or
 * written: the caller (the `run` command's outbox, the daemon's store) decides, so a rerun can
 * recognise a revision it already answered by `OutgoingReply.key`.
 */
export async function triageMessages(messages: readonly MailMessage[], deps: TriageDeps): Promise<TriageRun> {
  const { config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const errors: TriageError[] = [];
  const set = buildSeries(messages);
  const run: TriageRun = { result: { series: [], errors }, replies: [], revisions: [] };
  for (const d of set.duplicates) {
    if (!d.conflict) continue;
    log.warn({ msgid: d.msgid, kept: d.kept, dropped: d.dropped, conflict: d.conflict }, "conflicting copies of one Message-ID: the first is kept");
    errors.push({ source: d.dropped, message: `warning: conflict: another copy of <${d.msgid}> (${d.conflict}); the first copy, ${d.kept}, is kept and this one ignored` });
  }

  for (const lineage of set.lineages) {
    const series = { lineage: lineage.id, revisions: [] as RevisionResult[] };
    run.result.series.push(series);
    const tested = deps.testOn?.lineage === lineage.id ? lineage.revisions.at(-1) : undefined;
    for (const rev of lineage.revisions) {
      if (deps.testOn && rev !== tested) continue;
      const verdict = judgeRelevance(rev, deps.rules);
      const result: RevisionResult = { ...toRevisionResult(rev, verdict), apply: skippedApply("not triaged"), reply: null };
      series.revisions.push(result);
      if (deps.skip?.has(rev.key)) {
        result.apply = skippedApply("already triaged");
        continue;
      }
      const revLog = log.child({ revision: rev.key });
      const rr = await triageRevision(rev, result, { ...deps, log: revLog }, errors);
      const target = replyTarget(rev);
      let reply: OutgoingReply | null = null;
      // An incomplete revision gets no reply yet: the rest of the series may still arrive, and
      // a revision is answered at most once.
      if (target && rev.missing.length === 0 && (result.relevant || !config.reply.onlyRelevant)) {
        const composed = composeReply({
          key: rev.key,
          target,
          intro: describeIntro(rev, result),
          sections: rr.sections,
          from: config.reply.from,
          now: now(),
          recipients: config.reply,
        });
        noteReplyProblems(composed, target.msgid, revLog, errors);
        reply = composed.reply;
        if (reply) run.replies.push(reply);
      }
      run.revisions.push({ key: rev.key, lineage: lineage.id, result, stages: rr.stages, findings: rr.findings, sections: rr.sections, reply });
    }
  }
  return run;
}

/**
 * What composing a reply dropped, replaced or capped, and why there was none: a record in the
 * run's errors (as warnings) and, for capped recipients, a log line.
 */
export function noteReplyProblems(composed: ComposedReply, source: string, log: Logger, errors?: TriageError[]): void {
  if (composed.capped) log.warn({ msgid: source, wanted: composed.capped.wanted, kept: composed.capped.kept }, "reply recipients capped: author and lists only");
  if (composed.problems.length) log.warn({ msgid: source, problems: composed.problems }, composed.reply ? "reply: values from the mail dropped or replaced" : "no reply");
  for (const p of composed.problems) errors?.push({ source, message: `warning: reply: ${p}` });
}

interface RevisionOutcome {
  sections: ReportSection[];
  stages: StageRecord[];
  findings: Finding[];
}

/** Why a revision is not given to git, or null when it is. */
function notApplicable(rev: Revision, deps: TriageDeps): string | null {
  if (rev.pull) return `a pull request (${rev.pull.url}${rev.pull.ref ? " " + rev.pull.ref : ""}): irqtriage does not fetch from remotes named in mail`;
  if (rev.missing.length) return `incomplete series: patch${rev.missing.length > 1 ? "es" : ""} ${rev.missing.join(", ")} of ${rev.total} not received`;
  if (rev.patches.some((p) => !p.patch)) return `patch ${rev.patches.find((p) => !p.patch)?.index} carries no diff`;
  if (!deps.mirror && !deps.testOn) return "no kernel mirror configured";
  return null;
}

async function triageRevision(rev: Revision, result: RevisionResult, deps: TriageDeps, errors: TriageError[]): Promise<RevisionOutcome> {
  const none: RevisionOutcome = { sections: [], stages: [], findings: [] };
  if (!result.relevant) {
    result.apply = skippedApply("not relevant to IRQ mapping");
    return none;
  }
  const why = notApplicable(rev, deps);
  const mirror = deps.testOn?.mirror ?? deps.mirror;
  if (why || !mirror) {
    // Not given to git, but still checked: an unsafe or oversize series goes to no later
    // stage, with a mirror or without.
    const unsafe = unsafePatches(
      rev.patches.map((p) => ({ index: p.index, total: p.total, message: p.message })),
      { maxPatchBytes: deps.config.limits.maxPatchBytes },
    );
    if (unsafe.length) {
      const refused = refuse(unsafe, null, deps.log);
      result.apply = refused.result;
      for (const u of unsafe) for (const p of u.problems) errors.push({ source: u.msgid, message: `unsafe patch refused: ${p.message}` });
      return { ...none, sections: [describeApply(rev, result.apply, refused)] };
    }
    result.apply = skippedApply(why ?? "no kernel mirror configured");
    return withStages(rev, result, null, deps, errors);
  }
  const gate = deps.applyGate ?? (<T>(fn: () => Promise<T>) => fn());
  let applied: AppliedSeries | null = null;
  try {
    applied = await gate(() =>
      applySeries({
        mirror,
        stateDir: deps.config.stateDir,
        patches: rev.patches.map((p) => ({ index: p.index, total: p.total, message: p.message })),
        baseCommit: deps.testOn ? null : rev.baseCommit,
        branch: deps.testOn?.base ?? deps.config.mirror.branch,
        limits: { maxPatchBytes: deps.config.limits.maxPatchBytes },
        name: rev.key,
        log: deps.log,
        ...(deps.signal ? { signal: deps.signal } : {}),
      }),
    );
    result.apply = applied.result;
    for (const u of applied.unsafe) {
      for (const p of u.problems) errors.push({ source: u.msgid, message: `unsafe patch refused: ${p.message}` });
    }
  } catch (err) {
    deps.log.error({ err }, "apply failed");
    errors.push({ source: rev.key, message: `apply: ${(err as Error).message}` });
    // the reply says only what the error's maker made mail-safe: never a local path
    result.apply = skippedApply(`apply could not run: ${mailTextOf(err)}`);
  }
  try {
    if (applied?.unsafe.length) {
      // A hostile series goes no further: its diffs are not parsed, scanned or built.
      return { ...none, sections: [describeApply(rev, result.apply, applied)] };
    }
    return await withStages(rev, result, applied, deps, errors);
  } finally {
    await applied?.dispose();
  }
}

/** The apply section, the later stages, and the GitHub mirror for one revision. */
async function withStages(rev: Revision, result: RevisionResult, applied: AppliedSeries | null, deps: TriageDeps, errors: TriageError[]): Promise<RevisionOutcome> {
  const head = applied?.commits.at(-1) ?? null;
  const sections: ReportSection[] = [describeApply(rev, result.apply, applied)];
  const ignores = deps.ignores ? await deps.ignores(rev.lineage) : [];
  const out = await runStages({
    stages: deps.stages ?? [],
    lineage: rev.lineage,
    revision: result,
    diffs: rev.patches.map((p) => p.patch?.diffText ?? ""),
    mirror: deps.testOn?.mirror ?? deps.mirror,
    applied: applied?.worktree && head ? { path: applied.worktree, head } : null,
    ignores,
    config: deps.config,
    log: deps.log,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  for (const e of out.errors) errors.push({ source: rev.key, message: e });
  sections.push(...out.sections);
  if (deps.publisher && deps.mirror && head && !deps.testOn) {
    try {
      await deps.publisher.publishRevision({
        lineage: rev.lineage,
        version: rev.version,
        title: rev.title,
        author: result.author,
        gitDir: deps.mirror.path,
        head,
        base: result.apply.base,
        findings: out.findings,
        suppressed: out.suppressed,
      });
    } catch (err) {
      deps.log.error({ err }, "publishing to the GitHub mirror failed");
      errors.push({ source: rev.key, message: `github: ${(err as Error).message}` });
    }
  }
  return { sections, stages: out.records, findings: out.findings };
}
