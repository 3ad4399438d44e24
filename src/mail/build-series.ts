import { extractPatch, quotesDiff, type ExtractedPatch } from "../patch/extract-patch.js";
import { parseBaseInfo, parseReplyTrailers, trailerFromSender } from "../patch/parse-trailers.js";
import type { TrailerRef } from "../types/triage-result.js";
import { buildThreads, type ThreadNode } from "./build-threads.js";
import { addressKey, formatAddress } from "./format-address.js";
import { defaultLineageOptions, linkLineage, type LineageOptions } from "./link-lineage.js";
import type { MailMessage } from "./mail-message.js";
import { parseNotice, type ReplyNotice } from "./parse-notice.js";
import { parseSubject, type ParsedSubject } from "./parse-subject.js";
import type { Review, Revision, SeriesMessage, SeriesPatch, SeriesSet } from "./series-types.js";

const NO_NOTICE: ReplyNotice = Object.freeze({ withdrawn: false, applied: null, quotedAuthor: null }) as ReplyNotice;

export interface SeriesOptions {
  lineage?: Partial<LineageOptions>;
  /** Patches of one unthreaded series (each its own thread) are grouped when this close in time. */
  unthreadedWindowMinutes?: number;
}

/** A message that posts work: a cover letter, a patch, or a pull request. */
interface Submission {
  node: ThreadNode;
  message: MailMessage;
  subject: ParsedSubject;
  kind: "cover" | "patch" | "pull";
  patch: ExtractedPatch | null;
}

/**
 * Is this message a submission? Only a message whose subject is a patch (or pull) subject and
 * not a reply or forward posts work. A reply that quotes a diff (or even suggests one inline) is
 * a review of what it answers, never a new patch — this is what keeps corpus 03/08/12/25 out of
 * the patch list.
 */
function classify(node: ThreadNode): Submission | null {
  const message = node.message;
  // Every submission subject has a bracket tag; most list traffic has none (cheap early out).
  if (!message || !message.subject.includes("[")) return null;
  const subject = parseSubject(message.subject);
  if (subject.reply || subject.forward) return null;
  // Pull requests: "[GIT PULL]" subjects, and request-pull text under a patch-like subject.
  if (subject.pull || (subject.patch && subject.index === null && /The following changes since commit [0-9a-f]{40}/.test(message.text))) {
    const patch = extractPatch(message);
    if (patch?.kind === "pull") return { node, message, subject, kind: "pull", patch };
    if (subject.pull) return null; // "[GIT PULL]" without request-pull text: a discussion
  }
  if (!subject.patch) return null;
  if (subject.index === 0) return { node, message, subject, kind: "cover", patch: null };
  const patch = extractPatch(message);
  if (subject.index !== null) return { node, message, subject, kind: "patch", patch };
  // "[PATCH] title" without n/N: a single patch when it carries one; otherwise just talk.
  return patch ? { node, message, subject, kind: "patch", patch } : null;
}

function sameSeries(a: Submission, b: Submission): boolean {
  return (
    a.kind !== "pull" &&
    b.kind !== "pull" &&
    a.subject.total !== null &&
    a.subject.total === b.subject.total &&
    a.subject.version === b.subject.version &&
    a.subject.rfc === b.subject.rfc &&
    a.subject.resend === b.subject.resend &&
    addressKey(a.message.from) === addressKey(b.message.from)
  );
}

function time(m: MailMessage): number {
  return m.date?.getTime() ?? 0;
}

function trailerRefs(msg: MailMessage, trailers: { name: string; value: string }[]): TrailerRef[] {
  const from = formatAddress(msg.from);
  return trailers.map((t) => ({ name: t.name, value: t.value, from, msgid: msg.msgid }));
}

/**
 * Build the series model from a batch of messages: thread them, find submissions, group them
 * into revisions (cover + patches of one posting), attach replies as reviews with their
 * trailers, and link revisions into lineages across versions. Pure and independent of input
 * order. See series-types.ts for the model.
 */
export function buildSeries(messages: readonly MailMessage[], opts: SeriesOptions = {}): SeriesSet {
  const threads = buildThreads(messages);
  const subs = new Map<string, Submission>();
  for (const node of threads.byId.values()) {
    const s = classify(node);
    if (s) subs.set(node.msgid, s);
  }

  // Group numbered submissions by the topmost same-series ancestor (or the missing container
  // they all answer); a single patch or a pull request is a revision of its own.
  const groups = new Map<string, Group>();
  const sorted = [...subs.values()].sort((a, b) => time(a.message) - time(b.message) || (a.node.msgid < b.node.msgid ? -1 : 1));
  for (const s of sorted) {
    let anchor = s.node.msgid;
    if (s.kind !== "pull" && s.subject.total !== null) {
      for (let p = s.node.parent; p; p = p.parent) {
        if (!p.message) {
          anchor = p.msgid;
          break;
        }
        const ps = subs.get(p.msgid);
        if (!ps || !sameSeries(ps, s)) break;
        anchor = p.msgid;
      }
    }
    const key =
      s.kind === "pull" || s.subject.total === null
        ? `single:${s.node.msgid}`
        : `${anchor}|${addressKey(s.message.from)}|${s.subject.version}|${s.subject.total}|${s.subject.rfc}|${s.subject.resend}`;
    const g = groups.get(key);
    if (g) g.members.push(s);
    else groups.set(key, { key, anchor, shape: key.startsWith("single:") ? null : key.slice(key.indexOf("|", anchor.length)), members: [s] });
  }
  mergeUnthreaded(groups, (opts.unthreadedWindowMinutes ?? 60) * 60_000);

  const revisions: Revision[] = [];
  const revisionOf = new Map<string, { rev: Revision; index: number }>(); // submission msgid -> where
  for (const { members } of groups.values()) {
    const rev = makeRevision(members);
    revisions.push(rev);
    if (rev.cover) revisionOf.set(rev.cover.msgid, { rev, index: 0 });
    if (rev.pullMessage) revisionOf.set(rev.pullMessage.msgid, { rev, index: 0 });
    for (const p of rev.patches) revisionOf.set(p.msgid, { rev, index: p.index });
    for (const id of rev.superseded) {
      const s = subs.get(id);
      revisionOf.set(id, { rev, index: s?.subject.index ?? 1 });
    }
  }

  // Replies: find the nearest submission above each one; that is what it reviews. Both walks
  // are memoized per container so deep discussion threads stay linear.
  const claimed = new Set<string>(revisionOf.keys());
  const ownerMemo = new Map<ThreadNode, ThreadNode | null>();
  const targetMemo = new Map<ThreadNode, ThreadNode | null>();
  const climb = (start: ThreadNode | null, memo: Map<ThreadNode, ThreadNode | null>, stop: (n: ThreadNode) => boolean): ThreadNode | null => {
    const path: ThreadNode[] = [];
    let found: ThreadNode | null = null;
    for (let p = start; p; p = p.parent) {
      const known = memo.get(p);
      if (known !== undefined) {
        found = known;
        break;
      }
      if (stop(p)) {
        found = p;
        break;
      }
      path.push(p);
    }
    for (const p of path) memo.set(p, found);
    return found;
  };
  const isOwner = (p: ThreadNode): boolean => revisionOf.has(p.msgid);
  const isTarget = (p: ThreadNode): boolean => !p.message || revisionOf.has(p.msgid);
  // A reply that declares no parent at all (a mailer that drops In-Reply-To and References)
  // is matched by its subject: "Re: " + exactly the subject tags and title of one submission,
  // the latest one posted before it.
  let bySubject: Map<string, ThreadNode[]> | null = null;
  const subjectKey = (p: ParsedSubject): string => `${p.title.toLowerCase()}|${p.version}|${p.rfc}|${p.index ?? "-"}|${p.total ?? "-"}`;
  const matchSubject = (msg: MailMessage): ThreadNode | null => {
    const subj = parseSubject(msg.subject);
    if (!subj.reply || !(subj.patch || subj.pull)) return null;
    if (!bySubject) {
      bySubject = new Map();
      for (const s of subs.values()) {
        if (!revisionOf.has(s.node.msgid)) continue;
        const k = subjectKey(s.subject);
        const list = bySubject.get(k);
        if (list) list.push(s.node);
        else bySubject.set(k, [s.node]);
      }
    }
    let best: ThreadNode | null = null;
    for (const n of bySubject.get(subjectKey(subj)) ?? []) {
      const t = n.message?.date?.getTime() ?? 0;
      if (t <= time(msg) && (!best || t >= (best.message?.date?.getTime() ?? 0))) best = n;
    }
    return best;
  };
  for (const node of threads.byId.values()) {
    const msg = node.message;
    if (!msg || subs.has(node.msgid)) continue;
    let ownerNode: ThreadNode | null = null;
    let target: ThreadNode | null = null;
    let matchedBy: Review["matchedBy"] = "thread";
    if (node.parent) {
      ownerNode = climb(node.parent, ownerMemo, isOwner);
      if (ownerNode) target = climb(node.parent, targetMemo, isTarget) ?? ownerNode;
    } else if (msg.inReplyTo === null && msg.references.length === 0) {
      ownerNode = target = matchSubject(msg);
      matchedBy = "subject";
    }
    if (!ownerNode || !target) continue;
    const owner = revisionOf.get(ownerNode.msgid) as { rev: Revision; index: number };
    const rev = owner.rev;
    let patchIndex: number | null = revisionOf.get(target.msgid)?.index ?? null;
    if (patchIndex === null) {
      // The patch it answers is not in the mailbox: its own subject still says which one.
      const subj = parseSubject(msg.subject);
      if (subj.index !== null && subj.total === rev.total && subj.version === rev.version) patchIndex = subj.index;
    }
    // ingest computed both at parse time for a message that cannot post work (msg.digest)
    const given = msg.digest ? msg.digest.trailers : parseReplyTrailers(msg.text);
    // A mail that may be a piece of another one (cut at an unquoted "From " body line) gives
    // no trailers: a Reviewed-by in it could be anybody's text.
    const counts = (t: { name: string; value: string }): boolean => !msg.cutFromAnother && trailerFromSender(t, msg.from);
    const trailers = trailerRefs(msg, given.filter(counts));
    const ignoredTrailers = trailerRefs(msg, given.filter((t) => !counts(t)));
    const review: Review = {
      msgid: msg.msgid,
      from: msg.from,
      date: msg.date,
      target: target.msgid,
      patchIndex,
      quotesDiff: msg.digest ? msg.digest.quotesDiff : quotesDiff(msg.text),
      notice: msg.digest ? (msg.digest.notice ?? NO_NOTICE) : parseNotice(msg.text),
      trailers,
      ignoredTrailers,
      matchedBy,
    };
    rev.reviews.push(review);
    claimed.add(msg.msgid);
  }

  revisions.push(...placeholderRevisions(threads.byId.values(), claimed));
  for (const rev of revisions) finishRevision(rev);
  const lineages = linkLineage(revisions, { ...defaultLineageOptions, ...(opts.lineage ?? {}) });
  lineages.sort((a, b) => (a.revisions[0]?.date?.getTime() ?? 0) - (b.revisions[0]?.date?.getTime() ?? 0) || (a.id < b.id ? -1 : 1));
  const unclaimed = [...threads.byId.values()].filter((n) => n.message && !claimed.has(n.msgid)).map((n) => n.msgid).sort();
  return { lineages, threads, duplicates: threads.duplicates, unclaimed };
}

/**
 * Replies that answer a patch posting of which no mail is in the mailbox (an "Applied, thanks"
 * to a series read from another list, reviews of a patch that never reached us): they make a
 * placeholder revision per thread, so their trailers and the applied notice are not lost. Its
 * version, title and total come from the replies' subjects; its author from a reply's
 * attribution line, else the first To: address (a reply goes to the author). Claimed replies
 * are added to `claimed`.
 */
function placeholderRevisions(nodes: Iterable<ThreadNode>, claimed: Set<string>): Revision[] {
  const groups = new Map<string, { root: ThreadNode; replies: { node: ThreadNode; subject: ParsedSubject }[] }>();
  for (const node of nodes) {
    const msg = node.message;
    if (!msg || claimed.has(node.msgid) || !node.parent) continue;
    const subject = parseSubject(msg.subject);
    if (!subject.reply || !subject.patch) continue;
    let root: ThreadNode = node;
    while (root.parent) root = root.parent;
    // Only a thread whose start is missing: a discussion under a mail we have is not a posting.
    if (root.message) continue;
    const g = groups.get(root.msgid);
    if (g) g.replies.push({ node, subject });
    else groups.set(root.msgid, { root, replies: [{ node, subject }] });
  }
  const out: Revision[] = [];
  for (const { root, replies } of groups.values()) {
    replies.sort((a, b) => time(a.node.message as MailMessage) - time(b.node.message as MailMessage) || (a.node.msgid < b.node.msgid ? -1 : 1));
    const first = replies[0] as (typeof replies)[number];
    const cover = replies.find((r) => r.subject.index === 0) ?? first;
    const total = first.subject.total ?? 1;
    const reviews: Review[] = replies.map(({ node }) => {
      const msg = node.message as MailMessage;
      const given = msg.digest ? msg.digest.trailers : parseReplyTrailers(msg.text);
      const target = msg.inReplyTo ?? root.msgid;
      const subj = parseSubject(msg.subject);
      return {
        msgid: msg.msgid,
        from: msg.from,
        date: msg.date,
        target,
        patchIndex: subj.index,
        quotesDiff: msg.digest ? msg.digest.quotesDiff : quotesDiff(msg.text),
        notice: msg.digest ? (msg.digest.notice ?? NO_NOTICE) : parseNotice(msg.text),
        trailers: trailerRefs(msg, given.filter((t) => trailerFromSender(t, msg.from))),
        ignoredTrailers: trailerRefs(msg, given.filter((t) => !trailerFromSender(t, msg.from))),
        matchedBy: "thread",
      };
    });
    for (const r of replies) claimed.add(r.node.msgid);
    const quoted = reviews.map((r) => r.notice.quotedAuthor).find((a) => a);
    const fm = first.node.message as MailMessage;
    const author = quoted ? { name: "", address: quoted } : (fm.to[0] ?? null);
    out.push({
      key: "",
      lineage: "",
      version: first.subject.version,
      rfc: first.subject.rfc,
      resend: first.subject.resend,
      extra: first.subject.extra,
      title: cover.subject.title,
      author,
      date: fm.date,
      cover: null,
      patches: [],
      total,
      missing: Array.from({ length: total }, (_, i) => i + 1),
      reviews,
      trailers: [],
      baseCommit: null,
      prerequisitePatchIds: [],
      pull: null,
      pullMessage: null,
      superseded: [],
      placeholder: true,
      placeholderOf: root.msgid,
      changeId: null,
    });
  }
  return out;
}

interface Group {
  key: string;
  anchor: string;
  /** "|author|version|total|rfc|resend" for numbered series, null for singles and pulls. */
  shape: string | null;
  members: Submission[];
}

/**
 * Series sent without threading (every patch its own root) are grouped by author, version,
 * total and RFC/RESEND when they are close in time and their indexes do not collide.
 */
function mergeUnthreaded(groups: Map<string, Group>, windowMs: number): void {
  const byShape = new Map<string, Group[]>();
  for (const g of groups.values()) {
    if (g.shape === null) continue;
    // Only a group rooted at one of its own messages, at the top of a thread, can be a fragment.
    const anchorMember = g.members.find((m) => m.node.msgid === g.anchor);
    if (!anchorMember || anchorMember.node.parent !== null) continue;
    const list = byShape.get(g.shape);
    if (list) list.push(g);
    else byShape.set(g.shape, [g]);
  }
  const first = (g: Group): number => time((g.members[0] as Submission).message);
  const last = (g: Group): number => time((g.members[g.members.length - 1] as Submission).message);
  for (const list of byShape.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => first(a) - first(b));
    let into = list[0] as Group;
    for (const g of list.slice(1)) {
      const idx = new Set(into.members.map((s) => s.subject.index));
      const collide = g.members.some((s) => idx.has(s.subject.index));
      if (!collide && first(g) - last(into) <= windowMs) {
        into.members.push(...g.members);
        groups.delete(g.key);
      } else {
        into = g;
      }
    }
  }
}

function makeRevision(members: Submission[]): Revision {
  const sorted = [...members].sort((a, b) => time(a.message) - time(b.message) || (a.node.msgid < b.node.msgid ? -1 : 1));
  const first = sorted[0] as Submission;
  let cover: SeriesMessage | null = null;
  const patches = new Map<number, SeriesPatch>();
  const superseded: string[] = [];
  let pullMessage: SeriesPatch | null = null;
  for (const s of sorted) {
    if (s.kind === "pull") {
      pullMessage = { msgid: s.node.msgid, subject: s.subject, message: s.message, index: 0, total: 0, patch: s.patch, trailers: [] };
      continue;
    }
    if (s.kind === "cover") {
      if (cover) superseded.push(s.node.msgid);
      else cover = { msgid: s.node.msgid, subject: s.subject, message: s.message };
      continue;
    }
    const index = s.subject.index ?? 1;
    if (patches.has(index)) {
      superseded.push(s.node.msgid);
      continue;
    }
    patches.set(index, {
      msgid: s.node.msgid,
      subject: s.subject,
      message: s.message,
      index,
      total: s.subject.total ?? 1,
      patch: s.patch,
      trailers: s.patch ? trailerRefs(s.message, s.patch.trailers) : [],
    });
  }
  const list = [...patches.values()].sort((a, b) => a.index - b.index);
  const total = first.subject.total ?? 1;
  const missing: number[] = [];
  for (let i = 1; i <= total; i++) if (!patches.has(i)) missing.push(i);
  const head = cover ?? list[0];
  const pull = first.kind === "pull" ? (first.patch?.pull ?? null) : null;
  return {
    key: "",
    lineage: "",
    version: first.subject.version,
    rfc: first.subject.rfc,
    resend: first.subject.resend,
    extra: first.subject.extra,
    title: head?.subject.title ?? first.subject.title,
    author: (cover?.message ?? first.message).from,
    date: first.message.date,
    cover,
    patches: list,
    total: pull ? 0 : total,
    missing: pull ? [] : missing,
    reviews: [],
    trailers: [],
    baseCommit: null,
    prerequisitePatchIds: [],
    pull,
    pullMessage,
    superseded,
    placeholder: false,
    changeId: null,
  };
}

/** Base info, reply trailers onto patches (a cover reply applies to all, as b4 does), flat list. */
function finishRevision(rev: Revision): void {
  rev.reviews.sort((a, b) => (a.date?.getTime() ?? 0) - (b.date?.getTime() ?? 0) || (a.msgid < b.msgid ? -1 : 1));
  const coverTrailers: TrailerRef[] = [];
  for (const r of rev.reviews) {
    if (r.trailers.length === 0) continue;
    if (r.patchIndex === 0) {
      coverTrailers.push(...r.trailers);
      continue;
    }
    const p = rev.patches.find((x) => x.index === r.patchIndex);
    if (p) p.trailers.push(...r.trailers);
  }
  for (const p of rev.patches) p.trailers.push(...coverTrailers);

  const base: TrailerRef[] = [];
  const coverBase = rev.cover ? parseBaseInfo(rev.cover.message.text.split(/\n-- \n/)[0] ?? "") : null;
  if (coverBase?.baseCommit) {
    rev.baseCommit = coverBase.baseCommit;
    base.push({ name: "base-commit", value: coverBase.baseCommit, from: formatAddress(rev.cover!.message.from), msgid: rev.cover!.msgid });
  }
  for (const p of rev.patches) {
    if (!p.patch) continue;
    if (p.patch.baseCommit && !rev.baseCommit) {
      rev.baseCommit = p.patch.baseCommit;
      base.push({ name: "base-commit", value: p.patch.baseCommit, from: formatAddress(p.message.from), msgid: p.msgid });
    }
    for (const id of p.patch.prerequisitePatchIds) {
      if (rev.prerequisitePatchIds.includes(id)) continue;
      rev.prerequisitePatchIds.push(id);
      base.push({ name: "prerequisite-patch-id", value: id, from: formatAddress(p.message.from), msgid: p.msgid });
    }
  }
  if (rev.pull && !rev.baseCommit) rev.baseCommit = rev.pull.base;
  // b4 writes "change-id: <date>-<slug>-<hash>" under base-commit in the cover (or the patch).
  for (const m of [rev.cover?.message, ...rev.patches.map((p) => p.message)]) {
    const id = m ? /^change-id:\s+([0-9A-Za-z._-]{6,100})\s*$/m.exec(m.text)?.[1] : undefined;
    if (id) {
      rev.changeId = id;
      break;
    }
  }
  for (const id of coverBase?.prerequisitePatchIds ?? []) {
    if (rev.prerequisitePatchIds.includes(id)) continue;
    rev.prerequisitePatchIds.push(id);
    base.push({ name: "prerequisite-patch-id", value: id, from: formatAddress(rev.cover!.message.from), msgid: rev.cover!.msgid });
  }

  const flat: TrailerRef[] = [];
  const seen = new Set<string>();
  const push = (t: TrailerRef): void => {
    const k = `${t.name}\u0000${t.value}\u0000${t.msgid}`;
    if (seen.has(k)) return;
    seen.add(k);
    flat.push(t);
  };
  for (const p of rev.patches) for (const t of p.trailers) if (t.msgid === p.msgid) push(t);
  for (const r of rev.reviews) for (const t of r.trailers) push(t);
  for (const t of base) push(t);
  rev.trailers = flat;
}
