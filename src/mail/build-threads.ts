import type { MailMessage } from "./mail-message.js";

/**
 * One container of the thread forest (JWZ threading): a Message-ID that was either seen as a
 * message or only referenced by one (then `message` is null: a parent that is not in the mailbox,
 * like the v4 5/8 patch of the corpus whose replies are there but it is not).
 */
export interface ThreadNode {
  msgid: string;
  message: MailMessage | null;
  parent: ThreadNode | null;
  /** Sorted by date, then Message-ID, so that output does not depend on input order. */
  children: ThreadNode[];
}

export interface DuplicateMessage {
  msgid: string;
  /** Source of the copy that was kept: always the first one seen. */
  kept: string;
  /** Source of the copy that was dropped. */
  dropped: string;
  /** Set when the dropped copy is not the same mail: "different sender: ...", "different body". */
  conflict?: string;
}

export interface ThreadSet {
  /** Containers without a parent, by date. Roots may be empty containers. */
  roots: ThreadNode[];
  byId: Map<string, ThreadNode>;
  /** Same Message-ID seen more than once (list copy + direct copy): one kept, others listed. */
  duplicates: DuplicateMessage[];
}

/**
 * Why a second copy of a Message-ID is not the same mail as the first, or null when it is (a
 * list copy of a mail also received directly). Senders are compared without regard to case,
 * bodies by their fingerprints (bodyFingerprint: line ends, trailing empty lines and a list
 * footer do not count); a message without a fingerprint (made by hand) is compared by sender.
 */
export function copyConflict(first: Pick<MailMessage, "from" | "bodyHash">, second: Pick<MailMessage, "from" | "bodyHash">): string | null {
  const a = first.from?.address.toLowerCase() ?? "";
  const b = second.from?.address.toLowerCase() ?? "";
  if (a !== b) return `different sender: ${b || "(none)"}, the first copy is from ${a || "(none)"}`;
  if (first.bodyHash !== undefined && second.bodyHash !== undefined && first.bodyHash !== second.bodyHash) return "different body";
  return null;
}

/** How many declared ancestors (nearest first) threading looks at. */
export const MAX_ANCESTRY = 256;

/**
 * The parent chain a message declares, oldest first, its direct parent last. In-Reply-To names
 * the direct parent even when References is shorter (mailers often cut References to the root:
 * corpus 03 has In-Reply-To 1/2 but References only the cover), so it goes last.
 */
export function declaredAncestry(m: MailMessage): string[] {
  // Fast path for the common shapes (no References, or References ending in In-Reply-To).
  const refs0 = m.references;
  if (refs0.length === 0) return m.inReplyTo && m.inReplyTo !== m.msgid ? [m.inReplyTo] : [];
  if (refs0.length === 1 && refs0[0] !== m.msgid) {
    const only = refs0[0] as string;
    if (!m.inReplyTo || m.inReplyTo === m.msgid || m.inReplyTo === only) return [only];
    return [only, m.inReplyTo];
  }
  const refs = m.references.filter((r) => r !== m.msgid && r !== m.inReplyTo);
  if (m.inReplyTo && m.inReplyTo !== m.msgid) refs.push(m.inReplyTo);
  // A References list may repeat ids; keep the last occurrence (closest to the message). Only
  // the nearest MAX_ANCESTRY ancestors are kept: a hostile header of 100k ids must not make
  // threading quadratic, and real threads are never that deep.
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = refs.length - 1; i >= 0 && out.length < MAX_ANCESTRY; i--) {
    const r = refs[i] as string;
    if (!seen.has(r)) {
      seen.add(r);
      out.push(r);
    }
  }
  return out.reverse();
}

function time(n: ThreadNode): number {
  return n.message?.date?.getTime() ?? Number.POSITIVE_INFINITY;
}

function byDateThenId(a: ThreadNode, b: ThreadNode): number {
  const d = time(a) - time(b);
  if (d !== 0 && !Number.isNaN(d)) return d;
  return a.msgid < b.msgid ? -1 : a.msgid > b.msgid ? 1 : 0;
}

/**
 * JWZ-style threading over a batch of messages. Pure and independent of input order except for
 * duplicate Message-IDs (the first copy is kept): replies that arrive before their parent,
 * parents that never arrive, duplicates and reference cycles are all tolerated.
 */
export function buildThreads(messages: readonly MailMessage[]): ThreadSet {
  const kept = new Map<string, MailMessage>();
  const duplicates: DuplicateMessage[] = [];
  // The first copy of a Message-ID is the one: a later copy, whoever sent it and however much
  // richer it looks, can never replace what the list delivered first (a forged copy would
  // otherwise be triaged instead). A later copy that says something else is a conflict.
  for (const m of messages) {
    const prev = kept.get(m.msgid);
    if (!prev) {
      kept.set(m.msgid, m);
      continue;
    }
    const conflict = copyConflict(prev, m);
    duplicates.push({ msgid: m.msgid, kept: prev.source, dropped: m.source, ...(conflict ? { conflict } : {}) });
  }

  const byId = new Map<string, ThreadNode>();
  const node = (id: string): ThreadNode => {
    let n = byId.get(id);
    if (!n) {
      n = { msgid: id, message: null, parent: null, children: [] };
      byId.set(id, n);
    }
    return n;
  };
  // Would making `parent` the parent of `child` close a loop?
  const wouldLoop = (child: ThreadNode, parent: ThreadNode): boolean => {
    for (let p: ThreadNode | null = parent; p; p = p.parent) if (p === child) return true;
    return false;
  };

  // Process in a canonical order so the result never depends on mailbox order.
  const ordered = [...kept.values()].sort((a, b) => (a.msgid < b.msgid ? -1 : a.msgid > b.msgid ? 1 : 0));
  for (const m of ordered) node(m.msgid).message = m;
  const chains = ordered.map(declaredAncestry);
  // Pass 1: links implied by References chains, only for containers of messages we do not have
  // (a message we have states its own parent in pass 2) and only where none is known yet (JWZ).
  for (const chain of chains) {
    for (let i = 1; i < chain.length; i++) {
      const cid = chain[i] as string;
      if (kept.has(cid)) continue;
      const c = node(cid);
      if (c.parent) continue;
      const p = node(chain[i - 1] as string);
      if (!wouldLoop(c, p)) c.parent = p;
    }
  }
  // Pass 2: each message's own direct parent wins over guesses from other messages' chains.
  ordered.forEach((m, i) => {
    const chain = chains[i] as string[];
    const parentId = chain[chain.length - 1];
    if (parentId === undefined) return;
    node(m.msgid).parent = node(parentId);
  });
  // Break the cycles pass 2 may have closed (a -> b -> a), in one linear sweep instead of a
  // walk to the root per link: follow parents from each node in canonical order; meeting the
  // current walk again means a loop, cut at the node whose parent closed it.
  const stamp = new Map<ThreadNode, number>();
  let walk = 0;
  for (const start of [...byId.values()].sort((a, b) => (a.msgid < b.msgid ? -1 : a.msgid > b.msgid ? 1 : 0))) {
    walk++;
    for (let n: ThreadNode | null = start; n; n = n.parent) {
      const seen = stamp.get(n);
      if (seen !== undefined && seen !== walk) break; // joins a walk already known to end at a root
      if (seen === walk) break;
      stamp.set(n, walk);
      if (n.parent && stamp.get(n.parent) === walk) {
        n.parent = null;
        break;
      }
    }
  }
  for (const n of byId.values()) if (n.parent) n.parent.children.push(n);
  const roots: ThreadNode[] = [];
  for (const n of byId.values()) {
    // a copy of exactly its length: an array grown by push keeps room for 17 (100k containers)
    if (n.children.length > 0) n.children = n.children.sort(byDateThenId).slice();
    if (!n.parent) roots.push(n);
  }
  roots.sort(byDateThenId);
  return { roots, byId, duplicates };
}
