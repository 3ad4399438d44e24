import type { Logger } from "pino";
import { mailTextOf } from "../errors.js";
import type { Config } from "../config/config.js";
import type { Publisher } from "../github/publisher.js";
import { applySeries, refuse, unsafePatches, type AppliedSeries } from "../kernel/io/apply-series.js";
import { findInMirror } from "../kernel/io/find-in-mirror.js";
import type { LocalGitMirror } from "../kernel/io/local-git-mirror.js";
import type { IgnoreRecord } from "../mail-commands/command-context.js";
import { renderSuppressedSection } from "../mail-commands/render-suppressed-section.js";
import { buildSeries } from "../mail/build-series.js";
import type { MailMessage } from "../mail/mail-message.js";
import { revisionStatuses, type InMirror } from "../mail/revision-status.js";
import type { Lineage, Revision } from "../mail/series-types.js";
import { toRevisionResult } from "../mail/to-revision-result.js";
import { judgeRelevance } from "../patch/judge-relevance.js";
import type { RelevanceRules } from "../patch/relevance-rules.js";
import { composeReply, type ComposedReply, type ReplyTarget } from "../report/io/compose-reply.js";
import type { Finding } from "../types/finding.js";
import type { OutgoingReply } from "../types/outgoing-reply.js";
import type { ReportSection } from "../types/report-section.js";
import type { StageRecord } from "../types/stage.js";
import type { ApplyResult, FindingRef, RevisionResult, TriageError, TriageResult } from "../types/triage-result.js";
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
  /**
   * The lineage's newest revision answered before this run, with its findings (the daemon reads
   * it from the store); a batch run starts from none and follows its own replies.
   */
  previousAnswer?: (lineage: string) => Promise<PreviousAnswer | null>;
  /** Run each apply (worktree + git am) under this gate (daemon.concurrency.apply); stages have their own. */
  applyGate?: <T>(fn: () => Promise<T>) => Promise<T>;
  now?: () => Date;
  signal?: AbortSignal;
}

/** An earlier answered revision, to say what changed since. */
export interface PreviousAnswer {
  version: number;
  rfc: boolean;
  findings: readonly Finding[];
  /** Our reply's Message-ID (for its lore link). */
  messageId: string;
}

/** What the findings of a revision are against the previous answered one. */
export interface FindingDelta {
  previous: { version: number; rfc: boolean; messageId: string } | null;
  new: Finding[];
  unchanged: Finding[];
  fixed: Finding[];
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
  /** The findings against the previous answered revision of the lineage. */
  delta: FindingDelta;
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
    const verdicts = deps.testOn ? null : revisionStatuses(lineage, await mirrorMatches(lineage, deps));
    let previous = deps.previousAnswer && !deps.testOn ? await deps.previousAnswer(lineage.id) : null;
    for (const rev of lineage.revisions) {
      if (deps.testOn && rev !== tested) continue;
      const verdict = judgeRelevance(rev, deps.rules);
      const policy = verdicts?.get(rev.key) ?? { status: "live" as const, applied: null, quiet: null };
      const result: RevisionResult = {
        ...toRevisionResult(rev, verdict),
        apply: skippedApply("not triaged"),
        reply: null,
        status: policy.status,
        applied: policy.applied,
        quiet: policy.quiet,
        findings: [],
      };
      series.revisions.push(result);
      const none = { key: rev.key, lineage: lineage.id, result, stages: [], findings: [], sections: [], delta: emptyDelta(previous), reply: null };
      if (deps.skip?.has(rev.key)) {
        result.apply = skippedApply("already triaged");
        continue;
      }
      // Superseded, withdrawn, applied and placeholder revisions are not applied or analysed:
      // nothing said about them would reach anyone. Incomplete ones still are (their diffs).
      if (policy.status !== "live" && policy.status !== "incomplete") {
        result.apply = skippedApply(policy.quiet ?? policy.status);
        run.revisions.push(none);
        continue;
      }
      const revLog = log.child({ revision: rev.key });
      const rr = await triageRevision(rev, result, { ...deps, log: revLog }, errors);
      const delta = findingDelta(rr.findings, previous);
      const target = replyTarget(rev);
      const sections = [...rr.sections, ...findingsSections(delta, rr.suppressed, config.reply.archiveUrl)];
      let reply: OutgoingReply | null = null;
      // An incomplete revision gets no reply yet: the rest of the series may still arrive, and
      // a revision is answered at most once.
      if (target && rev.missing.length === 0 && (result.relevant || !config.reply.onlyRelevant)) {
        const composed = composeReply({
          key: rev.key,
          target,
          intro: describeIntro(rev, result),
          sections,
          from: config.reply.from,
          now: now(),
          recipients: config.reply,
        });
        noteReplyProblems(composed, target.msgid, revLog, errors);
        reply = composed.reply;
        if (reply) {
          run.replies.push(reply);
          previous = { version: rev.version, rfc: rev.rfc, findings: rr.findings, messageId: reply.messageId };
        } else {
          // No reply could be made (no valid Message-ID, no valid author: see the errors).
          delta.fixed = [];
          if (!result.quiet) result.quiet = composed.problems.at(-1) ?? "no reply";
        }
      } else {
        // Only a reply compares: a revision that says nothing has fixed nothing.
        delta.fixed = [];
        if (!result.quiet) result.quiet = !target ? "nothing to reply to" : !result.relevant ? "not relevant to IRQ mapping" : "incomplete";
      }
      result.findings = findingRefs(delta);
      run.revisions.push({ key: rev.key, lineage: lineage.id, result, stages: rr.stages, findings: rr.findings, sections, delta, reply });
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

/** Revisions of the lineage whose patches are already in the mirror (none without a mirror). */
async function mirrorMatches(lineage: Lineage, deps: TriageDeps): Promise<InMirror> {
  if (!deps.mirror) return new Map();
  try {
    return await findInMirror(deps.mirror, deps.config.mirror.branch, lineage.revisions.filter((r) => !deps.skip?.has(r.key)));
  } catch (err) {
    // A mirror without the branch is reported by the apply step; here it only means "not known".
    deps.log.warn({ err: (err as Error).message, lineage: lineage.id }, "could not look for the series in the mirror");
    return new Map();
  }
}

function emptyDelta(previous: PreviousAnswer | null): FindingDelta {
  return { previous: previous && { version: previous.version, rfc: previous.rfc, messageId: previous.messageId }, new: [], unchanged: [], fixed: [] };
}

/** New, unchanged (same public id) and fixed findings against the previous answered revision. */
export function findingDelta(findings: readonly Finding[], previous: PreviousAnswer | null): FindingDelta {
  const before = new Map((previous?.findings ?? []).map((f) => [f.id, f]));
  const now = new Set(findings.map((f) => f.id));
  return {
    ...emptyDelta(previous),
    new: findings.filter((f) => !before.has(f.id)),
    unchanged: findings.filter((f) => before.has(f.id)),
    fixed: [...before.values()].filter((f) => !now.has(f.id)),
  };
}

/**
 * The findings section: what is new in this revision (each with its id and file:line), then one
 * line for what is unchanged since the previous answered revision (pointing to that reply, so
 * nothing is said twice), what that revision had and this one fixed, and what maintainers
 * ignored.
 */
export function findingsSections(d: FindingDelta, suppressed: readonly string[], archiveUrl: string): ReportSection[] {
  const out: ReportSection[] = [];
  const since = d.previous ? `${d.previous.rfc ? "RFC " : ""}v${d.previous.version}` : null;
  const at = (f: Finding): string => (f.file ? ` (${f.file}${f.line ? `:${f.line}` : ""})` : "");
  const body: string[] = [];
  if (d.new.length) {
    if (since) body.push(`New since ${since}:`);
    body.push(...d.new.map((f) => `- ${f.id}: ${f.summary}${at(f)}`));
  }
  if (d.unchanged.length && d.previous) {
    body.push(
      ...(body.length ? [""] : []),
      `Unchanged since ${since} (${d.unchanged.length}, see ${archiveUrl}${d.previous.messageId}):`,
      ...d.unchanged.map((f) => `- ${f.id}`),
    );
  }
  if (d.fixed.length) body.push(...(body.length ? [""] : []), `Fixed since ${since}:`, ...d.fixed.map((f) => `- ${f.id}: ${f.summary}`));
  if (d.new.length || d.unchanged.length) {
    body.push("", 'Reply "#irqtriage explain <id>" for details, or "#irqtriage ignore <id> <reason>" for a false positive.');
  }
  if (body.length) out.push({ stage: "findings", title: "Finding ids", severity: "info", body: body.join("\n") });
  const ignored = renderSuppressedSection([...suppressed]);
  if (ignored) out.push(ignored);
  return out;
}

function findingRefs(d: FindingDelta): FindingRef[] {
  const ref = (f: Finding, since: FindingRef["since"]): FindingRef => ({ id: f.id, kind: f.kind, severity: f.severity, summary: f.summary, file: f.file ?? null, line: f.line ?? null, since });
  return [...d.new.map((f) => ref(f, "new")), ...d.unchanged.map((f) => ref(f, "unchanged")), ...d.fixed.map((f) => ref(f, "fixed"))];
}

interface RevisionOutcome {
  sections: ReportSection[];
  stages: StageRecord[];
  findings: Finding[];
  /** "suppressed: <id> (...)" lines: findings maintainers ignored. */
  suppressed: string[];
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
  const none: RevisionOutcome = { sections: [], stages: [], findings: [], suppressed: [] };
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
  return { sections, stages: out.records, findings: out.findings, suppressed: out.suppressed };
}
