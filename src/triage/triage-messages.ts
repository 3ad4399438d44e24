import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { GitMirror } from "../kernel/git-mirror.js";
import { applySeries, type AppliedSeries } from "../kernel/apply-series.js";
import { buildSeries } from "../mail/build-series.js";
import type { MailMessage } from "../mail/mail-message.js";
import type { Revision } from "../mail/series-types.js";
import { toRevisionResult } from "../mail/to-revision-result.js";
import { judgeRelevance } from "../patch/judge-relevance.js";
import type { RelevanceRules } from "../patch/relevance-rules.js";
import { composeReply, type ReplyTarget } from "../report/compose-reply.js";
import type { OutgoingReply } from "../report/outgoing-reply.js";
import type { ReportSection } from "../report/report-section.js";
import { describeApply, describeIntro } from "./describe-revision.js";
import { applyIgnores } from "../commands/apply-ignores.js";
import type { IgnoreRecord } from "../commands/command-context.js";
import { renderSuppressedSection } from "../commands/render-suppressed-section.js";
import type { Publisher } from "../github/publisher.js";
import { collectFindings } from "./collect-findings.js";
import type { RevisionStage, StageOutput } from "./revision-stage.js";
import type { ApplyResult, RevisionResult, TriageError, TriageResult } from "./triage-result.js";

export interface TriageDeps {
  config: Config;
  log: Logger;
  rules: RelevanceRules;
  /** The kernel mirror; null means nothing is applied (apply status "skipped"). */
  mirror: GitMirror | null;
  /** Later stages (balance analysis, simulation, QEMU), run in order for relevant revisions. */
  stages?: readonly RevisionStage[];
  /** Findings maintainers ignored on this lineage (`#irqtriage ignore`), carried to later revisions. */
  ignores?: (lineage: string) => Promise<readonly IgnoreRecord[]>;
  /** The GitHub mirror; null or absent = not published. */
  publisher?: Publisher | null;
  /** Revision keys to leave alone (the daemon passes those it has already answered). */
  skip?: ReadonlySet<string>;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface RevisionRun {
  key: string;
  lineage: string;
  result: RevisionResult;
  stages: Record<string, unknown>;
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
  return { msgid: m.msgid, subject: m.subject, from: m.from, to: m.to, cc: m.cc, references: m.references, date: m.date, text: m.text };
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

  for (const lineage of set.lineages) {
    const series = { lineage: lineage.id, revisions: [] as RevisionResult[] };
    run.result.series.push(series);
    for (const rev of lineage.revisions) {
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
      // An incomplete revision gets no reply yet: the rest of the series may still arrive, and
      // a revision is answered at most once.
      if (target && rev.missing.length === 0 && (result.relevant || !config.reply.onlyRelevant)) {
        const reply = composeReply({
          key: rev.key,
          target,
          intro: describeIntro(rev, result),
          sections: rr.sections,
          from: config.reply.from,
          now: now(),
        });
        run.replies.push(reply);
        run.revisions.push({ key: rev.key, lineage: lineage.id, result, stages: rr.details, reply });
      } else {
        run.revisions.push({ key: rev.key, lineage: lineage.id, result, stages: rr.details, reply: null });
      }
    }
  }
  return run;
}

async function triageRevision(
  rev: Revision,
  result: RevisionResult,
  deps: TriageDeps,
  errors: TriageError[],
): Promise<{ sections: ReportSection[]; details: Record<string, unknown> }> {
  const { config, log } = deps;
  const sections: ReportSection[] = [];
  const details: Record<string, unknown> = {};
  if (!result.relevant) {
    result.apply = skippedApply("not relevant to IRQ mapping");
    return { sections, details };
  }

  let applied: AppliedSeries | null = null;
  if (rev.pull) {
    result.apply = skippedApply(`a pull request (${rev.pull.url}${rev.pull.ref ? " " + rev.pull.ref : ""}): irqtriage does not fetch from remotes named in mail`);
  } else if (rev.missing.length) {
    result.apply = skippedApply(`incomplete series: patch${rev.missing.length > 1 ? "es" : ""} ${rev.missing.join(", ")} of ${rev.total} not received`);
  } else if (rev.patches.some((p) => !p.patch)) {
    result.apply = skippedApply(`patch ${rev.patches.find((p) => !p.patch)?.index} carries no diff`);
  } else if (!deps.mirror) {
    result.apply = skippedApply("no kernel mirror configured");
  } else {
    try {
      applied = await applySeries({
        mirror: deps.mirror,
        stateDir: config.stateDir,
        patches: rev.patches.map((p) => ({ index: p.index, total: p.total, message: p.message })),
        baseCommit: rev.baseCommit,
        branch: config.mirror.branch,
        limits: { maxPatchBytes: config.limits.maxPatchBytes },
        name: rev.key,
        log,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      result.apply = applied.result;
      for (const u of applied.unsafe) {
        for (const p of u.problems) errors.push({ source: u.msgid, message: `unsafe patch refused: ${p.message}` });
      }
      details["apply"] = { commits: applied.commits, threeWay: applied.threeWay, failure: applied.failure, unsafe: applied.unsafe };
    } catch (err) {
      log.error({ err }, "apply failed");
      errors.push({ source: rev.key, message: `apply: ${(err as Error).message}` });
      result.apply = skippedApply(`apply could not run: ${(err as Error).message}`);
    }
  }
  sections.push(describeApply(rev, result.apply, applied));
  if (applied?.unsafe.length) {
    // A hostile series goes no further: its diffs are not parsed, scanned or built.
    await applied.dispose();
    return { sections, details };
  }

  const ignores = deps.ignores ? await deps.ignores(rev.lineage) : [];
  const ignoredIds = new Set(ignores.map((i) => i.findingId));
  try {
    for (const stage of deps.stages ?? []) {
      if (stage.needsAppliedTree && !applied?.worktree) continue;
      let out: StageOutput | null = null;
      try {
        out = await stage.run({
          lineage: rev.lineage,
          revision: result,
          diffs: rev.patches.map((p) => p.patch?.diffText ?? ""),
          mirror: deps.mirror?.path ?? null,
          base: result.apply.base,
          applied: applied?.worktree ?? null,
          previous: details,
          ignored: ignoredIds,
          config,
          log: log.child({ stage: stage.name }),
          ...(deps.signal ? { signal: deps.signal } : {}),
        });
      } catch (err) {
        log.error({ err, stage: stage.name }, "stage failed");
        errors.push({ source: rev.key, message: `${stage.name}: ${(err as Error).message}` });
        continue;
      }
      if (!out) continue;
      details[stage.name] = out.details;
      if (out.section) sections.push(out.section);
    }
    const { kept, lines } = applyIgnores(collectFindings(details), ignores);
    details["findings"] = kept;
    if (kept.length) {
      sections.push({
        stage: "findings",
        title: "Finding ids",
        severity: "info",
        body: [
          ...kept.map((f) => `- ${f.id}: ${f.title}`),
          "",
          'Reply "#irqtriage explain <id>" for details, or "#irqtriage ignore <id> <reason>" for a false positive.',
        ].join("\n"),
      });
    }
    const suppressed = renderSuppressedSection(lines);
    if (suppressed) sections.push(suppressed);
    if (deps.publisher && deps.mirror && applied?.commits.length) {
      try {
        const pub = await deps.publisher.publishRevision({
          lineage: rev.lineage,
          version: rev.version,
          title: rev.title,
          author: result.author,
          gitDir: deps.mirror.path,
          head: applied.commits[applied.commits.length - 1] as string,
          base: result.apply.base,
          findings: kept,
          suppressed: lines,
        });
        details["github"] = pub;
      } catch (err) {
        log.error({ err }, "publishing to the GitHub mirror failed");
        errors.push({ source: rev.key, message: `github: ${(err as Error).message}` });
      }
    }
  } finally {
    await applied?.dispose();
  }
  return { sections, details };
}
