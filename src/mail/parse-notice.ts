/**
 * What a reply says about the fate of the revision it answers, read from its own (unquoted)
 * words: that its author withdrew it, or that a maintainer applied it. Kept apart from the
 * trailers because it decides whether the bot answers at all.
 */
export interface ReplyNotice {
  /** "please ignore", "self-NAK", "withdrawn", "please drop": counts only when the revision's author says it. */
  withdrawn: boolean;
  /** "Applied to <tree>" (b4 ty), "Applied, thanks", "Queued ... thanks" with the commit ids it names. */
  applied: AppliedNotice | null;
  /** The quoted author of the attribution line ("On <date>, Name <addr> wrote:"), when given with an address. */
  quotedAuthor: string | null;
}

export interface AppliedNotice {
  /** "tip irq/core", "powerpc/next", ...; null when the notice names none. */
  tree: string | null;
  /** Commit ids named (b4 ty "commit: https://git.kernel.org/.../c/<sha>", "commit <sha>"), full or abbreviated. */
  commits: string[];
  /** Patch numbers the notice lists ("[2/3] title" lines of b4 ty); empty = the whole revision. */
  patches: number[];
}

const NONE: ReplyNotice = { withdrawn: false, applied: null, quotedAuthor: null };

/** The reply's own words: quoted lines, the signature and everything after a quoted block's attribution dropped. */
function ownText(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    if (line === "-- ") break; // signature
    if (/^\s*>/.test(line)) continue;
    out.push(line);
  }
  return out.join("\n");
}

// Phrases are matched on whitespace-normalized, lower-cased text: mailers wrap "please\nignore".
const WITHDRAWN = [
  /\bplease\s+(?:ignore|disregard|drop)\b/,
  /\bignore\s+(?:this|it|the\s+(?:patch|series|set))\b/,
  /\bself[- ]?na(?:c)?k(?:ed)?\b/,
  /\b(?:this|the)\s+(?:patch|series|version|revision|set)\s+is\s+withdrawn\b/,
  /\bwithdraw(?:n|ing)?\s+(?:this|the|it|my)\b/,
  /\bscratch\s+(?:this|that)\b/,
];

// "Applied to tip irq/core, thanks!", "Applied to powerpc/next.", "Applied, thanks!",
// "Applied to my for-next branch", b4 ty's "Applied to <tree> (<branch>), thanks!", "Queued for 6.2, thanks".
const APPLIED_LINE = /^\s*(?:applied|queued|merged|picked up)\b(?:\s+(?:to|into|in|on)\s+([^,!\n]+?))?\s*(?:[,.!]|\s+thanks|$)/im;
const COMMIT_URL = /\bhttps?:\/\/git\.kernel\.org\/[^\s]*?\/c\/([0-9a-f]{7,40})\b/g;
const COMMIT_WORD = /\bcommit:?\s+([0-9a-f]{12,40})\b/g;
const B4_PATCH_LINE = /^\s*\[(\d+)\/(\d+)\]\s+\S/gm;

/** Read a reply's notice. Pure; cheap enough to run at ingest for every reply that is digested. */
export function parseNotice(text: string): ReplyNotice {
  if (!text) return NONE;
  const own = ownText(text);
  const flat = own.replace(/\s+/g, " ").toLowerCase();
  const withdrawn = WITHDRAWN.some((re) => re.test(flat));
  let applied: AppliedNotice | null = null;
  const m = APPLIED_LINE.exec(own);
  if (m) {
    const tree = m[1] ? m[1].replace(/\s+/g, " ").replace(/\s*\(([^)]*)\)\s*$/, " $1").trim().replace(/^(?:the|my)\s+/i, "") : null;
    const commits = new Set<string>();
    for (const c of own.matchAll(COMMIT_URL)) commits.add(c[1] as string);
    for (const c of own.matchAll(COMMIT_WORD)) commits.add(c[1] as string);
    const patches = [...own.matchAll(B4_PATCH_LINE)].map((p) => Number(p[1]));
    // "Applied to" in a reply that only discusses applying ("applied to your tree it breaks")
    // is not a notice: a notice starts its line and names a tree, or says thanks / a commit.
    if (tree || commits.size || /thanks|thank you/i.test(m[0] + own.slice(m.index, m.index + 80))) {
      applied = { tree: tree && tree.length <= 60 ? tree : null, commits: [...commits], patches };
    }
  }
  const attribution = /^On .{0,120}?(?:<([^<>\s@]+@[^<>\s]+)>|\b([^<>\s@]+@[^<>\s]+\.[a-z]{2,}))\s+wrote:\s*$/im.exec(text);
  const quotedAuthor = attribution ? ((attribution[1] ?? attribution[2]) as string).toLowerCase() : null;
  if (!withdrawn && !applied && !quotedAuthor) return NONE;
  return { withdrawn, applied, quotedAuthor };
}
