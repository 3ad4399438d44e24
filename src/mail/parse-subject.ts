/**
 * Subject lines of patch mail, in the forms people (and git format-patch, git send-email,
 * git request-pull, mail clients and list managers) really produce:
 *
 *   [PATCH v3 2/7] genirq: ...           [RFC PATCH kernel 0/2] irq: ...
 *   [PATCH net-next v2] ...              [PATCH RESEND v2 3/4] ...     [PATCH v2 RESEND] ...
 *   [PATCH 5.10 12/34] ... (stable)      [RFC][PATCH] ...              [PATCHv2] / [PATCH V2]
 *   [GIT PULL] irq fixes for 6.1         Re: RE: Fwd: AW: SV: chains   [Linuxppc-dev] list tags
 *
 * Pure. Tags that are neither a patch keyword, a version, a counter nor RFC/RESEND are kept as
 * `extra` ("kernel", "net-next", "5.10"): they are routing hints, never part of the title.
 */
export interface ParsedSubject {
  /** The subject as given, whitespace collapsed. */
  raw: string;
  /** Starts with a reply prefix (Re:, RE:, AW:, SV:, Antw:, ...). */
  reply: boolean;
  /** Starts with a forward prefix (Fwd:, Fw:, WG:, TR:). */
  forward: boolean;
  /** Carries a patch tag group ([PATCH ...], [RFC ...], [PATCHv2], [RFC][PATCH]). */
  patch: boolean;
  /** Carries [GIT PULL] (or [PULL]). */
  pull: boolean;
  rfc: boolean;
  resend: boolean;
  /** 1 unless a vN tag says otherwise. */
  version: number;
  /** n of n/N, null when the subject has no counter. */
  index: number | null;
  /** N of n/N, null when the subject has no counter. */
  total: number | null;
  /** Other words in the patch tag group: "kernel", "net-next", "5.10". */
  extra: string[];
  /** Bracket groups that are not patch tags, e.g. "Linuxppc-dev". */
  listTags: string[];
  /** What remains: "genirq/irqdomain: Add reference counting to IRQs". */
  title: string;
}

const REPLY_PREFIX = /^(re|aw|sv|antw|vs|odp|ynt|r)\s*(\[\d+\]|\(\d+\))?\s*:\s*/i;
const FORWARD_PREFIX = /^(fwd?|wg|tr|enc|rv)\s*(\[\d+\]|\(\d+\))?\s*:\s*/i;
const BRACKET = /^\[([^\]]*)\]\s*/;

const PATCH_WORD = /^patch(?:v(\d+))?$/i;
const VERSION_WORD = /^v(\d+)$/i;
const COUNTER_WORD = /^(\d{1,6})\/(\d{1,6})$/;
/** Largest believable N of n/N (stable review series run to a few hundred). */
export const MAX_TOTAL = 9999;

/** True when a bracket group is a patch tag group rather than a list tag. */
function isPatchGroup(words: string[]): boolean {
  return words.some((w) => PATCH_WORD.test(w) || /^rfc$/i.test(w) || /^pull$/i.test(w));
}

export function parseSubject(subject: string): ParsedSubject {
  const raw = subject.replace(/\s+/g, " ").trim();
  const out: ParsedSubject = {
    raw,
    reply: false,
    forward: false,
    patch: false,
    pull: false,
    rfc: false,
    resend: false,
    version: 1,
    index: null,
    total: null,
    extra: [],
    listTags: [],
    title: raw,
  };
  let rest = raw;
  // Prefixes can interleave: "Re: [Linuxppc-dev] Re: [PATCH v2 1/3] x". Only prefixes seen
  // before the first patch tag group decide reply/forward; a "Re:" after it belongs to the title
  // only in pathological cases, and treating it as a reply marker is what every archive does.
  for (;;) {
    let m: RegExpExecArray | null;
    if ((m = REPLY_PREFIX.exec(rest))) {
      // "R:" alone is too ambiguous except as the first token; accept all others anywhere.
      if (m[1]?.toLowerCase() === "r" && rest !== raw) break;
      out.reply = true;
      rest = rest.slice(m[0].length);
      continue;
    }
    if ((m = FORWARD_PREFIX.exec(rest))) {
      out.forward = true;
      rest = rest.slice(m[0].length);
      continue;
    }
    if ((m = BRACKET.exec(rest))) {
      const inner = (m[1] ?? "").trim();
      const words = inner.split(/[\s,]+/).filter((w) => w.length > 0);
      if (isPatchGroup(words)) {
        readPatchWords(words, out);
      } else if (out.patch && words.length > 0 && words.every((w) => VERSION_WORD.test(w) || COUNTER_WORD.test(w) || /^resend$/i.test(w))) {
        // "[PATCH][v2]" or "[RFC PATCH] [1/3]": a trailing group of only counters/versions.
        readPatchWords(words, out);
      } else if (inner.length > 0) {
        out.listTags.push(inner);
      }
      rest = rest.slice(m[0].length);
      continue;
    }
    break;
  }
  out.title = rest.trim();
  return out;
}

function readPatchWords(words: string[], out: ParsedSubject): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    let m: RegExpExecArray | null;
    if ((m = PATCH_WORD.exec(w))) {
      out.patch = true;
      if (m[1]) out.version = Number(m[1]);
    } else if (/^rfc$/i.test(w)) {
      out.rfc = true;
      out.patch = true;
    } else if (/^resend$/i.test(w)) {
      out.resend = true;
    } else if ((m = VERSION_WORD.exec(w))) {
      out.version = Number(m[1]);
    } else if ((m = COUNTER_WORD.exec(w)) && Number(m[2]) <= MAX_TOTAL && Number(m[1]) <= Number(m[2])) {
      // An impossible counter ("3/2", "1/999999999") is kept as a tag, not believed: a hostile
      // subject must not make the series builder enumerate a billion missing patches.
      out.index = Number(m[1]);
      out.total = Number(m[2]);
    } else if (/^git$/i.test(w) && /^pull$/i.test(words[i + 1] ?? "")) {
      out.pull = true;
      i++;
    } else if (/^pull$/i.test(w)) {
      out.pull = true;
    } else {
      out.extra.push(w);
    }
  }
}

/** The subsystem prefix of a title ("genirq/irqdomain" of "genirq/irqdomain: Add ..."), or null. */
export function titlePrefix(title: string): string | null {
  const m = /^([A-Za-z0-9_][\w./,+ -]{0,60}?):\s/.exec(title);
  if (!m || !m[1]) return null;
  // "Add foo: bar" is prose, not a prefix: prefixes have no spaces except after commas.
  if (/\s/.test(m[1].replace(/,\s+/g, ","))) return null;
  return m[1];
}
