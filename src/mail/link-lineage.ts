import { declaredAncestry } from "./build-threads.js";
import { addressKey } from "./format-address.js";
import type { Lineage, LineageLink, Revision } from "./series-types.js";
import { titleTokens, tokenSetSimilarity } from "./title-similarity.js";

export interface LineageOptions {
  /** Minimum title similarity (0..1) to link two revisions by title alone. */
  minTitleSimilarity: number;
  /** Minimum share of a revision's patch titles found in an earlier revision's. */
  minPatchTitleShare: number;
  /** Revisions further apart than this are not linked by title alone. */
  maxTitleGapDays: number;
}

/** How many earlier revisions of the same author are compared by title. */
export const MAX_TITLE_CANDIDATES = 500;

export const defaultLineageOptions: LineageOptions = { minTitleSimilarity: 0.7, minPatchTitleShare: 0.5, maxTitleGapDays: 365 };

function messagesOf(r: Revision): { msgid: string; text: string; ancestry: string[] }[] {
  const out: { msgid: string; text: string; ancestry: string[] }[] = [];
  if (r.cover) out.push({ msgid: r.cover.msgid, text: r.cover.message.text, ancestry: declaredAncestry(r.cover.message) });
  for (const p of r.patches) out.push({ msgid: p.msgid, text: p.message.text, ancestry: declaredAncestry(p.message) });
  if (r.pullMessage) out.push({ msgid: r.pullMessage.msgid, text: r.pullMessage.message.text, ancestry: declaredAncestry(r.pullMessage.message) });
  return out;
}

function time(r: Revision): number {
  return r.date?.getTime() ?? 0;
}

/** The first message of a revision: its cover letter, else its lowest-numbered patch. */
export function firstMessageId(r: Revision): string {
  return r.cover?.msgid ?? r.patches[0]?.msgid ?? r.pullMessage?.msgid ?? r.placeholderOf ?? "";
}

/** Commit ids a revision's patches cite: Fixes: trailers and "commit <sha> (...)" references. */
function citedCommits(r: Revision): string[] {
  const out = new Set<string>();
  for (const p of r.patches) {
    for (const t of p.trailers) if (t.name.toLowerCase() === "fixes") for (const m of t.value.matchAll(/\b([0-9a-f]{12,40})\b/g)) out.add(m[1] as string);
    for (const m of p.message.text.matchAll(/\bcommit ([0-9a-f]{12,40}) \(/g)) out.add(m[1] as string);
  }
  return [...out];
}

/** May `later` be a newer revision of `earlier` as far as numbering goes? */
function versionFollows(earlier: Revision, later: Revision): boolean {
  if (later.version > earlier.version) return true;
  if (later.version === earlier.version && later.resend) return true;
  // Leaving RFC often restarts numbering: "[RFC PATCH v2]" then "[PATCH]".
  return earlier.rfc && !later.rfc;
}

function patchTitleShare(earlier: Revision, later: Revision): number {
  if (later.patches.length < 2 || earlier.patches.length < 2) return 0;
  const before = new Set(earlier.patches.map((p) => p.subject.title.toLowerCase()));
  let hit = 0;
  for (const p of later.patches) if (before.has(p.subject.title.toLowerCase())) hit++;
  return hit / later.patches.length;
}

interface Candidate {
  prev: Revision;
  rule: LineageLink["rule"];
  score: number;
}

/**
 * Group revisions into lineages. A revision joins the lineage of an earlier one by the SAME
 * AUTHOR (From: address) when, in order of strength:
 *   1. in-reply-to: its cover/patches are threaded under a message of the earlier revision
 *      (git send-email --in-reply-to=<v1 cover>);
 *   2. link: its cover or patch notes cite a Message-ID of the earlier revision ("v1: https://
 *      lore.kernel.org/r/<msgid>");
 *   3. title: the titles are similar (token Jaccard, subsystem prefix ignored) and the version
 *      number follows, within a time window; or most patch titles are the same.
 * Time order always holds (the earlier revision is older), and a lineage never holds two
 * revisions of one version unless one is a RESEND. Pure; input order does not matter.
 */
export function linkLineage(revisions: readonly Revision[], opts: LineageOptions = defaultLineageOptions): Lineage[] {
  const revs = [...revisions].sort((a, b) => time(a) - time(b) || (firstMessageId(a) < firstMessageId(b) ? -1 : 1));
  const ownerOf = new Map<string, Revision>(); // msgid of a cover/patch -> revision
  for (const r of revs) for (const m of messagesOf(r)) ownerOf.set(m.msgid, r);
  const lineageOf = new Map<Revision, Revision[]>(); // revision -> the (shared) member list
  const linkOf = new Map<Revision, Candidate>();
  const gapMs = opts.maxTitleGapDays * 86_400_000;
  // Title links only ever join revisions of one author: index by author so that a mailbox of
  // thousands of unrelated series stays linear-ish instead of comparing every pair.
  const byAuthor = new Map<string, Revision[]>();
  const tokens = new Map<Revision, Set<string>>();
  const position = new Map<Revision, number>(); // index in its author's list
  for (const r of revs) {
    tokens.set(r, new Set(titleTokens(r.title)));
    const k = addressKey(r.author);
    let list = byAuthor.get(k);
    if (!list) byAuthor.set(k, (list = []));
    position.set(r, list.length);
    list.push(r);
  }

  const appliedBy = new Map<string, Revision>(); // first 12 hex digits of an applied commit -> revision
  for (const r of revs) for (const rv of r.reviews) for (const c of rv.notice.applied?.commits ?? []) if (c.length >= 12) appliedBy.set(c.slice(0, 12), r);

  for (const r of revs) {
    const author = addressKey(r.author);
    const candidates: Candidate[] = [];
    const seen = new Set<Revision>();
    const add = (c: Candidate): void => {
      if (seen.has(c.prev)) return;
      seen.add(c.prev);
      candidates.push(c);
    };
    const mine = messagesOf(r);
    for (const m of mine) {
      for (const id of m.ancestry) {
        const p = ownerOf.get(id);
        if (p && p !== r && time(p) <= time(r) && addressKey(p.author) === author) add({ prev: p, rule: "in-reply-to", score: 1 });
      }
    }
    for (const m of mine) {
      // Message-IDs cited in the text: "<id@host>", ".../r/id@host", "lore.kernel.org/lkml/id@host/".
      for (const hit of m.text.matchAll(/[</]([^\s<>/"@]+@[^\s<>/"@]+)[>/\s]/g)) {
        const p = ownerOf.get(hit[1] as string);
        if (p && p !== r && time(p) <= time(r) && addressKey(p.author) === author) add({ prev: p, rule: "link", score: 1 });
      }
    }
    // b4's change-id names the piece of work across its revisions.
    if (r.changeId) {
      for (const p of byAuthor.get(author) ?? []) {
        if (p !== r && p.changeId === r.changeId && time(p) <= time(r)) add({ prev: p, rule: "change-id", score: 1 });
      }
    }
    // A follow-up that cites a commit an "applied" notice named (Fixes: <sha>, "commit <sha> (...)")
    // belongs to the lineage that carried that commit, whoever sends it.
    for (const sha of citedCommits(r)) {
      const p = appliedBy.get(sha.slice(0, 12));
      if (p && p !== r && time(p) <= time(r)) add({ prev: p, rule: "fixes", score: 1 });
    }
    const byTitle: Candidate[] = [];
    const mineByAuthor = byAuthor.get(author) ?? [];
    const at = position.get(r) as number;
    // Only the nearest MAX_TITLE_CANDIDATES earlier revisions of the author: a mailbox with
    // thousands of postings from one address must not compare every pair.
    for (let i = at - 1; i >= 0 && i >= at - MAX_TITLE_CANDIDATES; i--) {
      const p = mineByAuthor[i] as Revision;
      if (seen.has(p) || !versionFollows(p, r)) continue;
      if (time(r) - time(p) > gapMs) break;
      const s = tokenSetSimilarity(tokens.get(p) as Set<string>, tokens.get(r) as Set<string>);
      if (s >= opts.minTitleSimilarity) {
        byTitle.push({ prev: p, rule: "title", score: s });
        continue;
      }
      const share = patchTitleShare(p, r);
      if (share >= opts.minPatchTitleShare) byTitle.push({ prev: p, rule: "patch-titles", score: share });
    }
    // Best title match first; among equals, the most recent revision.
    byTitle.sort((a, b) => b.score - a.score || time(b.prev) - time(a.prev));
    candidates.push(...byTitle);

    let joined = false;
    for (const c of candidates) {
      const members = lineageOf.get(c.prev);
      if (!members) continue;
      // A follow-up fix is a new posting of the same piece of work, whatever its version number.
      const clash = c.rule !== "fixes" && members.some((m) => m.version === r.version && m.rfc === r.rfc && !r.resend && !m.resend);
      if (clash) continue;
      members.push(r);
      lineageOf.set(r, members);
      linkOf.set(r, c);
      joined = true;
      break;
    }
    if (!joined) lineageOf.set(r, [r]);
  }

  const lineages: Lineage[] = [];
  const done = new Set<Revision[]>();
  for (const r of revs) {
    const members = lineageOf.get(r) as Revision[];
    if (done.has(members)) continue;
    done.add(members);
    const id = firstMessageId(members[0] as Revision);
    const keys = new Set<string>();
    const resends = new Map<string, number>();
    for (const m of members) {
      m.lineage = id;
      let key = `${id}#v${m.version}${m.rfc ? "-rfc" : ""}`;
      if (m.resend) {
        const n = (resends.get(key) ?? 0) + 1;
        resends.set(key, n);
        key += `-resend${n}`;
      }
      for (let n = 2; keys.has(key); n++) key = `${key.replace(/~\d+$/, "")}~${n}`;
      keys.add(key);
      m.key = key;
    }
    const links: LineageLink[] = [];
    for (const m of members.slice(1)) {
      const c = linkOf.get(m) as Candidate;
      links.push({ revision: m.key, previous: c.prev.key, rule: c.rule, score: Math.round(c.score * 1000) / 1000 });
    }
    lineages.push({ id, revisions: members, links });
  }
  return lineages;
}
