import { promises as fs } from "node:fs";
import path from "node:path";
import type { Logger } from "../../log/logger.js";
import { silentLogger } from "../../log/logger.js";
import type { MailMessage } from "../../mail/mail-message.js";
import { checkPatchSafety, checkPatchTexts, type SafetyLimits, type SafetyProblem } from "../../patch/check-patch-safety.js";
import { tooLarge } from "../../patch/safety/check-patch-size.js";
import { mailTextOf } from "../../errors.js";
import type { ApplyResult } from "../../types/triage-result.js";
import type { LocalGitMirror } from "./local-git-mirror.js";
import { parseAmFailure } from "../parse-am-failure.js";
import { resolveBase } from "../resolve-base.js";
import { patchPaths } from "../patch-paths.js";
import { reserveWorktree, type ReservedWorktree } from "./worktree.js";
import { plainMail, toMboxrd } from "../to-mboxrd.js";

/** One patch mail of a series revision, in series order. */
export interface SeriesPatchInput {
  /** Position in the series (the 2 of "[PATCH 2/7]"). */
  index: number;
  total?: number;
  message: Pick<MailMessage, "msgid" | "subject" | "raw" | "text" | "attachments">;
}

export interface ApplySeriesOptions {
  mirror: LocalGitMirror;
  /** Worktrees go to `<stateDir>/worktrees/`. */
  stateDir: string;
  /** Patches in the order they are applied. */
  patches: readonly SeriesPatchInput[];
  /** The `base-commit:` trailer of the revision, or null. */
  baseCommit: string | null;
  /** Indexes of 1..N not in the mailbox: a series with holes is not applied (skipped). */
  missing?: readonly number[];
  /** Where the trailer came from, for the reason text ("the cover letter", "patch 1/3"). */
  baseCommitFrom?: string;
  /** Configured branch used when the trailer is absent or unknown to the mirror. */
  branch: string;
  limits: SafetyLimits;
  /** Names the worktree folder (e.g. lineage + version); sanitized. */
  name: string;
  log?: Logger;
  signal?: AbortSignal;
  /** For `git worktree add` and `git am` each; default 10 min. */
  timeoutMs?: number;
  /**
   * Check out only the files the series touches (plus MAINTAINERS and Makefile); default true.
   * The result's materialize() fills the rest when a later stage needs the whole tree.
   */
  sparse?: boolean;
}

export interface PatchSafetyReport {
  msgid: string;
  index: number;
  subject: string;
  problems: SafetyProblem[];
}

/** The failing patch in full (ApplyResult.failed carries msgid, file and hunk). */
export interface ApplyFailureDetail {
  msgid: string;
  index: number;
  subject: string;
  file: string;
  /** Old start line git named, when it named one. */
  line: number | null;
  hunk: string;
  /** git's error lines. */
  errors: string[];
}

export interface AppliedSeries {
  result: ApplyResult;
  /** The applied tree (HEAD = last patch), until dispose(); null unless status is "applied". */
  worktree: string | null;
  /** Commit ids created by git am, oldest first (empty unless applied). */
  commits: string[];
  /** Patches refused before git saw them (status "skipped"). */
  unsafe: PatchSafetyReport[];
  failure: ApplyFailureDetail | null;
  /** True when git am needed its 3-way fallback to apply. */
  threeWay: boolean;
  /**
   * Fills the worktree with every file (it is sparse after applySeries: only the files the
   * series touches, MAINTAINERS and Makefile are on disk). Call before a stage that needs the
   * whole tree, e.g. a kernel build. Idempotent; a no-op unless status is "applied".
   */
  materialize(): Promise<void>;
  /** Removes the worktree. Idempotent; safe to call for every status. */
  dispose(): Promise<void>;
}

const noop = async (): Promise<void> => {};

function skipped(reason: string, base: string | null = null, unsafe: PatchSafetyReport[] = []): AppliedSeries {
  return {
    result: { status: "skipped", base, baseReason: reason, failed: null },
    worktree: null,
    commits: [],
    unsafe,
    failure: null,
    threeWay: false,
    materialize: noop,
    dispose: noop,
  };
}

/** What git am will read of a mail before it is decoded by git: the body and text attachments. */
function decodedTexts(m: SeriesPatchInput["message"]): string[] {
  return [m.text, ...m.attachments.map((a) => a.text ?? "")];
}

function decodedText(m: SeriesPatchInput["message"]): string {
  return decodedTexts(m).join("\n");
}

function label(p: SeriesPatchInput): string {
  return `${p.index}${p.total ? `/${p.total}` : ""}`;
}

/**
 * Applies a series revision to the mirror in a throwaway worktree with `git am --3way`:
 *   1. every patch passes checkPatchSafety on its decoded text (before git sees it);
 *   2. base chosen from the base-commit trailer or the branch (resolveBase);
 *   3. each mail is split by `git mailinfo` and the exact diff git would apply is checked again
 *      (an attachment MailMessage did not decode, say); then a SPARSE worktree is checked out at
 *      the base with only the files those diffs touch (old and new names) on disk (worktree.ts:
 *      seconds instead of a minute on the 78k-file Linux tree); materialize() fills the rest;
 *   4. `git am --3way` with the raw mails as an mboxrd on stdin: authorship, date and message
 *      come from the mail; the committer is the bot; hooks are off (runGit). No
 *      --keep-non-patch: the subject loses its [PATCH ...] and other bracket tags exactly as
 *      when a maintainer runs `git am`; --committer-date-is-author-date makes the same mails on
 *      the same base give the same commit ids.
 * On failure the patch, file and hunk are named, `git am --abort` runs, and the worktree is
 * removed. On success the worktree stays until dispose().
 */
export async function applySeries(opts: ApplySeriesOptions): Promise<AppliedSeries> {
  const log = opts.log ?? silentLogger();
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const sig = opts.signal ? { signal: opts.signal } : {};
  if (opts.patches.length === 0) return skipped("no patches to apply");
  if (opts.missing?.length) {
    const list = opts.missing.slice(0, 10).join(", ") + (opts.missing.length > 10 ? ", ..." : "");
    return skipped(`series incomplete: patch${opts.missing.length > 1 ? "es" : ""} ${list} missing`);
  }

  const missingRaw = opts.patches.find((p) => p.message.raw === null);
  if (missingRaw) {
    return skipped(`patch ${label(missingRaw)} (${missingRaw.message.msgid}) has no raw mail to give to git am`);
  }

  const unsafe = unsafePatches(opts.patches, opts.limits);
  if (unsafe.length) return refuse(unsafe, null, log);

  let base;
  try {
    base = await resolveBase(opts.mirror, {
      baseCommit: opts.baseCommit,
      ...(opts.baseCommitFrom !== undefined ? { baseCommitFrom: opts.baseCommitFrom } : {}),
      branch: opts.branch,
    });
  } catch (e) {
    log.warn({ err: e }, "no base");
    return skipped(`no base: ${mailTextOf(e)}`);
  }

  // The marker first, so the mailinfo scratch folder next to it has an owner from the start.
  const reserved = await reserveWorktree({ mirror: opts.mirror, stateDir: opts.stateDir, name: opts.name, log });
  const dispose = (): Promise<void> => reserved.dispose();
  try {
    const split = await splitWithMailinfo(reserved, opts, timeoutMs);
    for (const [i, p] of opts.patches.entries()) {
      const one = split[i] ?? "";
      const problems = typeof one === "string" ? checkPatchSafety(one, opts.limits) : [tooLarge(one.bytes, opts.limits)];
      if (problems.length) unsafe.push({ msgid: p.message.msgid, index: p.index, subject: p.message.subject, problems });
    }
    if (unsafe.length) {
      await dispose();
      return refuse(unsafe, base.base, log);
    }
    const patchTexts = split.map((t) => (typeof t === "string" ? t : ""));

    // What git will apply (mailinfo) and what the mail shows (decoded text): both sides of
    // every file, so renames, copies and deletes find their old file on disk.
    const touched = new Set<string>();
    for (const [i, p] of opts.patches.entries()) {
      for (const f of patchPaths(patchTexts[i] ?? "")) touched.add(f);
      for (const f of patchPaths(decodedText(p.message))) touched.add(f);
    }
    const wt = await reserved.populate({
      base: base.base,
      ...(opts.sparse === false ? {} : { sparse: [...touched] }),
      timeoutMs,
      ...sig,
    });

    const mbox = toMboxrd(opts.patches.map((p) => p.message.raw!));
    const am = await opts.mirror.git(
      ["am", "--3way", "--committer-date-is-author-date", "--no-scissors", "--patch-format=mboxrd"],
      { cwd: wt.path, input: mbox, okCodes: [0, 1, 128], timeoutMs, ...sig },
    );
    const output = `${am.stdout}\n${am.stderr}`;
    const threeWay = /Falling back to patching base and 3-way merge/.test(output);
    if (am.code !== 0) {
      // With --3way, git am silences the plain apply's "patch failed: <file>:<line>" and may
      // leave conflict markers. Reset the throwaway tree to the last applied patch and ask
      // git apply --check for the failing patch, which names the first hunk that does not fit.
      const pos = /^Patch failed at (\d+)/m.exec(output)?.[1];
      let check = "";
      const text = pos !== undefined ? patchTexts[Number(pos) - 1] : undefined;
      if (text !== undefined) {
        await opts.mirror.git(["reset", "-q", "--hard", "HEAD"], { cwd: wt.path, timeoutMs, okCodes: [0, 128] });
        const c = await opts.mirror.git(["apply", "--check", "-"], { cwd: wt.path, input: text, timeoutMs, okCodes: [0, 1, 128] });
        check = c.stderr;
      }
      const f = parseAmFailure(`${output}\n${check}`, patchTexts);
      const p = opts.patches[(f.position ?? 1) - 1] ?? opts.patches[0]!;
      const failure: ApplyFailureDetail = {
        msgid: p.message.msgid,
        index: p.index,
        subject: p.message.subject,
        file: f.file,
        line: f.line,
        hunk: f.hunk,
        errors: f.errors,
      };
      await opts.mirror.git(["am", "--abort"], { cwd: wt.path, okCodes: [0, 128], timeoutMs }).catch(() => undefined);
      await dispose();
      log.info({ msgid: p.message.msgid, file: f.file, hunk: f.hunk, base: base.base }, "series does not apply");
      return {
        result: {
          status: "failed",
          base: base.base,
          baseReason: base.reason,
          failed: { patch: p.message.msgid, file: f.file, hunk: f.hunk },
        },
        worktree: null,
        commits: [],
        unsafe: [],
        failure,
        threeWay,
        materialize: noop,
        dispose: noop,
      };
    }
    const revs = await opts.mirror.git(["rev-list", "--reverse", `${base.base}..HEAD`], { cwd: wt.path });
    const commits = revs.stdout.split("\n").filter(Boolean);
    log.info({ worktree: wt.path, base: base.base, commits: commits.length, threeWay }, "series applied");
    return {
      result: { status: "applied", base: base.base, baseReason: base.reason, failed: null },
      worktree: wt.path,
      commits,
      unsafe: [],
      failure: null,
      threeWay,
      materialize: () => wt.materialize(),
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * Step 1 of applySeries on its own: the patches that fail checkPatchSafety on their decoded
 * text. The pipeline also runs it when there is no mirror to apply to, so that an unsafe (or
 * oversize) series never reaches a later stage either way.
 */
export function unsafePatches(patches: readonly SeriesPatchInput[], limits: SafetyLimits): PatchSafetyReport[] {
  const unsafe: PatchSafetyReport[] = [];
  for (const p of patches) {
    const problems = checkPatchTexts(decodedTexts(p.message), limits);
    if (problems.length) unsafe.push({ msgid: p.message.msgid, index: p.index, subject: p.message.subject, problems });
  }
  return unsafe;
}

/** The outcome of a series refused before git saw it (status "skipped", the unsafe patches listed). */
export function refuse(unsafe: PatchSafetyReport[], base: string | null, log: Logger): AppliedSeries {
  const first = unsafe[0]!;
  const more = unsafe.reduce((n, u) => n + u.problems.length, 0) - 1;
  const reason =
    `not applied: patch ${first.index} (${first.msgid}) is unsafe: ${first.problems[0]!.message}` +
    (more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""})` : "");
  log.warn({ unsafe: unsafe.map((u) => ({ msgid: u.msgid, problems: u.problems.map((p) => p.message) })) }, "unsafe patch refused");
  return skipped(reason, base, unsafe);
}

/**
 * The diff git am will apply for each mail, as `git mailinfo` extracts it (or, when that is over
 * limits.maxPatchBytes, only its size: it is refused unread). Written next to the worktree
 * (inside the state dir), never inside it, and removed before returning.
 */
async function splitWithMailinfo(wt: ReservedWorktree, opts: ApplySeriesOptions, timeoutMs: number): Promise<(string | { bytes: number })[]> {
  const tmp = `${wt.path}.mailinfo`;
  await fs.mkdir(tmp, { recursive: true });
  try {
    const texts: (string | { bytes: number })[] = [];
    for (const [i, p] of opts.patches.entries()) {
      const msg = path.join(tmp, `${i}.msg`);
      const patch = path.join(tmp, `${i}.patch`);
      // In the mirror: the worktree does not exist yet; mailinfo only reads config. The mail
      // as git am's mailsplit hands it over: no "From " separator, no CRs before LF.
      await opts.mirror.git(["mailinfo", "--no-scissors", msg, patch], {
        input: plainMail(p.message.raw!),
        timeoutMs,
      });
      const bytes = (await fs.stat(patch)).size;
      texts.push(bytes > opts.limits.maxPatchBytes ? { bytes } : await fs.readFile(patch, "utf8"));
    }
    return texts;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
