import { createHash } from "node:crypto";
import { domainToASCII } from "node:url";
import { addressProblem, cleanText, msgIdProblem, preview, unsafeCharNames } from "../mail/header-safety.js";
import type { Address } from "../mail/mail-message.js";
import type { ReportSection } from "../types/report-section.js";
import { wrapText } from "./wrap-text.js";

/** The message the reply answers (a cover letter, or patch 1 of a series without one). */
export interface ReplyTarget {
  msgid: string;
  /** The Message-ID was missing (or unusable) and `msgid` was made up: such a mail gets no reply. */
  msgidSynthetic?: boolean;
  subject: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  references: string[];
  date: Date | null;
  /** Its body, for the short quote above our text. */
  text: string;
}

/** Who a reply may go to (config `reply.maxRecipients` and `reply.lists`). */
export interface RecipientPolicy {
  /** At most this many recipients in all (author included). */
  maxRecipients: number;
  /** Addresses ("list@host") or domains ("@host") that are mailing lists, besides the built-in ones. */
  lists: readonly string[];
}

export const DEFAULT_RECIPIENT_POLICY: RecipientPolicy = { maxRecipients: 20, lists: [] };

export interface ReplyInput {
  key: string;
  target: ReplyTarget;
  /** The opening paragraph: what was triaged. */
  intro: string;
  sections: ReportSection[];
  /** From: of the bot, "Name <addr>" (config, trusted). */
  from: string;
  now: Date;
  recipients?: RecipientPolicy;
}

/** Every header value of a reply, checked; rendering it is compose-reply's job (io/). */
export interface ReplyDraft {
  key: string;
  /** Without angle brackets; deterministic from the key. */
  messageId: string;
  inReplyTo: string;
  references: string[];
  from: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  date: Date;
  /** X-Irqtriage-Key: the key when it is short printable ASCII, else a hash of it. */
  keyHeader: string;
  /** LF line ends; every line at most MAX_BODY_LINE octets. */
  body: string;
}

export interface ReplyPlan {
  /** null: no reply may be sent (see `problems`). */
  draft: ReplyDraft | null;
  /** What was dropped, replaced or capped, and why there is no reply: for the run's records. */
  problems: string[];
  /** Set when the recipients were capped (the caller logs it). */
  capped: { wanted: number; kept: number } | null;
}

const severityRank = { problem: 0, notice: 1, info: 2 } as const;

/** Longest subject (decoded characters) copied into a reply; longer ones are cut with "...". */
export const MAX_SUBJECT = 200;
/** Longest display name copied into a reply or its attribution line. */
export const MAX_NAME = 100;
/** Body lines are cut below RFC 5322's 998 octets (8bit transfer: no encoding folds them). */
export const MAX_BODY_LINE = 900;
/** References kept: the first id and the last 20 (as mail clients trim them). */
export const MAX_REFERENCES_TAIL = 20;

export function replyMessageId(key: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "irqtriage.invalid";
  const h = createHash("sha256").update(key).digest("hex").slice(0, 20);
  return `irqtriage-${h}@${domain}`;
}

/** "Name <addr>" or "addr" (the bot's configured From:) as an Address. */
export function parseBotFrom(from: string): Address {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from);
  if (m) return { name: m[1]!.trim(), address: m[2]!.trim() };
  return { name: "", address: from.trim() };
}

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 3).join("") + "..." : s;
}

/** A display name fit for a header and for the attribution line. */
function safeName(name: string, who: string, problems: string[]): string {
  const clean = cleanText(name.trim());
  if (clean.replaced) problems.push(`display name of ${who} holds ${unsafeCharNames(name)}: replaced`);
  return truncate(clean.text, MAX_NAME);
}

/** The address as it may be written in a header and given to SMTP (IDN domains punycoded), or null. */
function safeAddress(address: string): string | null {
  if (addressProblem(address) !== null) return null;
  const at = address.lastIndexOf("@");
  const domain = address.slice(at + 1);
  const ascii = /^[\x21-\x7e]+$/.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
  if (!ascii) return null;
  return `${address.slice(0, at)}@${ascii}`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * Is this address a mailing list? vger.kernel.org, any host whose first label is "lists"
 * (lists.infradead.org, lists.linux.dev, lists.ozlabs.org...), and `reply.lists` entries: an
 * exact address, or "@host" for every address at that host.
 */
export function isListAddress(address: string, lists: readonly string[]): boolean {
  const a = address.toLowerCase();
  const domain = domainOf(a);
  if (domain === "vger.kernel.org" || domain.startsWith("lists.")) return true;
  for (const l of lists) {
    const e = l.trim().toLowerCase();
    if (e.startsWith("@") ? domain === e.slice(1) : a === e) return true;
  }
  return false;
}

function replySubject(subject: string): string {
  const s = subject.trim();
  return /^re:/i.test(s) ? s : `Re: ${s}`;
}

function attribution(who: string, date: Date | null): string {
  if (!date) return `${who} wrote:`;
  const d = date.toUTCString().replace(/GMT$/, "+0000");
  return `On ${d}, ${who} wrote:`;
}

/** A short quote of the target: its first paragraph, at most 4 lines (re-wrapped to fit), then "[...]". */
function shortQuote(text: string): string {
  const para: string[] = [];
  // the head of the text is enough for a first paragraph of at most 8 lines (and a 40 MiB body
  // is not copied to find it)
  for (const l of text.slice(0, 16384).replace(/\r\n/g, "\n").split("\n")) {
    if (para.length === 0 && l.trim() === "") continue;
    if (l.trim() === "" || l.startsWith("---") || l.startsWith("diff --git")) break;
    para.push(l.trim());
    if (para.length >= 8) break;
  }
  const lines = wrapText(para.join(" "), 70).split("\n");
  // A "line" without a space to break at is cut: the quote is a reminder, not a copy.
  const quoted = lines.slice(0, 4).map((l) => `> ${truncate(cleanText(l).text, 70)}`);
  quoted.push(">", "> [...]");
  return quoted.join("\n");
}

/**
 * A line that would read as a trailer or a header field of its own. The bot never writes one;
 * text from a mail (a file name, a subject, git's error line) can end up at the start of a line
 * when a paragraph is wrapped, and is then moved in by two spaces.
 */
const FORGEABLE = /^(?:[A-Za-z]+(?:-[A-Za-z]+)*-by|Fixes|Link|Closes|Cc|Bcc|To|From|Reply-To|Subject|Message-ID|In-Reply-To|References|Sender)\s*:/i;

/**
 * Our body text made safe line by line: no control character survives (CR, NUL, escapes...:
 * U+FFFD), no trailing whitespace except the signature separator "-- ", no unquoted line that
 * reads as a trailer or header field (FORGEABLE), and no line over MAX_BODY_LINE octets (cut
 * into pieces at character boundaries).
 */
function safeBody(text: string): string {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    let l = raw === "-- " ? raw : cleanText(raw).text.replace(/[ \t]+$/, "");
    if (FORGEABLE.test(l)) l = `  ${l}`;
    if (Buffer.byteLength(l, "utf8") <= MAX_BODY_LINE) {
      out.push(l);
      continue;
    }
    let cur = "";
    let bytes = 0;
    for (const ch of l) {
      const n = Buffer.byteLength(ch, "utf8");
      if (bytes + n > MAX_BODY_LINE) {
        out.push(FORGEABLE.test(cur) ? `  ${cur}` : cur);
        cur = "";
        bytes = 0;
      }
      cur += ch;
      bytes += n;
    }
    out.push(FORGEABLE.test(cur) ? `  ${cur}` : cur);
  }
  return out.join("\n");
}

/** The X-Irqtriage-Key value: the key itself when it is short printable ASCII, else its hash. */
function keyHeaderValue(key: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(key) ? key : `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/**
 * Decide every header value of a reply and render its body (pure). The values copied from the
 * received mail are checked here, whatever the parser already did:
 * - the target's Message-ID must be a valid RFC 5322 msg-id of at most 250 characters and not
 *   made up; otherwise there is no reply at all;
 * - References: invalid ids are dropped, then the first id and the last 20 are kept;
 * - the subject and display names have CR, LF, NUL and other controls replaced, and are capped;
 * - addresses must be plain addr-specs; an invalid author address means no reply, invalid
 *   others are dropped;
 * - recipients: the author (To) and everyone else on the original To/Cc (Cc), never the bot
 *   itself (compared without regard to case); past `maxRecipients`, only the author and the
 *   mailing lists among them (`isListAddress`), at most maxRecipients in all.
 */
export function planReply(input: ReplyInput): ReplyPlan {
  const { target } = input;
  const policy = input.recipients ?? DEFAULT_RECIPIENT_POLICY;
  const problems: string[] = [];
  const none = (why: string): ReplyPlan => ({ draft: null, problems: [...problems, `no reply: ${why}`], capped: null });

  if (target.msgidSynthetic) return none("the mail has no usable Message-ID");
  const idProblem = msgIdProblem(target.msgid);
  if (idProblem) return none(`its Message-ID ${preview(target.msgid)} ${idProblem}`);

  const bot = parseBotFrom(input.from);
  const botKey = bot.address.toLowerCase();
  if (!target.from) return none("the mail has no From: address");
  const authorAddr = safeAddress(target.from.address);
  if (!authorAddr) return none(`its From: address ${preview(target.from.address)} ${addressProblem(target.from.address) ?? "cannot be written"}`);
  if (authorAddr.toLowerCase() === botKey) return none("the mail is from irqtriage's own address");
  const author: Address = { name: safeName(target.from.name, authorAddr, problems), address: authorAddr };

  const seen = new Set([botKey, authorAddr.toLowerCase()]);
  const others: Address[] = [];
  const invalid: string[] = [];
  for (const a of [...target.to, ...target.cc]) {
    const addr = safeAddress(a.address);
    if (!addr) {
      if (a.address) invalid.push(a.address);
      continue;
    }
    const k = addr.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    others.push({ name: a.name, address: addr });
  }
  if (invalid.length) problems.push(`${invalid.length} recipient address${invalid.length > 1 ? "es" : ""} not valid, left out (first ${preview(invalid[0]!)})`);
  let chosen = others;
  let capped: ReplyPlan["capped"] = null;
  if (1 + others.length > policy.maxRecipients) {
    chosen = others.filter((a) => isListAddress(a.address, policy.lists)).slice(0, Math.max(0, policy.maxRecipients - 1));
    capped = { wanted: 1 + others.length, kept: 1 + chosen.length };
    problems.push(`recipients capped: ${capped.wanted} wanted, over reply.maxRecipients ${policy.maxRecipients}; replying to the author and ${chosen.length} list${chosen.length === 1 ? "" : "s"} only`);
  }
  const cc = chosen.map((a) => ({ name: safeName(a.name, a.address, problems), address: a.address }));

  const refs: string[] = [];
  const refSeen = new Set<string>([target.msgid]);
  let badRefs = 0;
  for (const r of target.references) {
    if (refSeen.has(r)) continue;
    if (msgIdProblem(r) !== null) {
      badRefs++;
      continue;
    }
    refSeen.add(r);
    refs.push(r);
  }
  if (badRefs) problems.push(`References: ${badRefs} invalid id${badRefs > 1 ? "s" : ""} dropped`);
  refs.push(target.msgid);
  let references = refs;
  if (refs.length > 1 + MAX_REFERENCES_TAIL) {
    references = [refs[0]!, ...refs.slice(-MAX_REFERENCES_TAIL)];
    problems.push(`References: ${refs.length} ids cut to the first and the last ${MAX_REFERENCES_TAIL}`);
  }

  const subjectClean = cleanText(target.subject);
  if (subjectClean.replaced) problems.push(`Subject holds ${unsafeCharNames(target.subject)}: replaced`);
  const subject = truncate(replySubject(subjectClean.text), MAX_SUBJECT);

  const sections = [...input.sections].sort((a, b) => severityRank[a.severity] - severityRank[b.severity]);
  const who = author.name || author.address;
  const bodyParts = [attribution(who, target.date), shortQuote(target.text), "", wrapText(input.intro)];
  for (const s of sections) {
    bodyParts.push("", s.title, "-".repeat(Math.min(72, s.title.length)), wrapText(s.body.trimEnd()));
  }
  bodyParts.push(
    "",
    "-- ",
    "irqtriage: automated triage of IRQ-mapping patches.",
    "Reply with \"#irqtriage help\" on a line of its own for commands.",
  );

  return {
    draft: {
      key: input.key,
      messageId: replyMessageId(input.key, input.from),
      inReplyTo: target.msgid,
      references,
      from: bot,
      to: [author],
      cc,
      subject,
      date: input.now,
      keyHeader: keyHeaderValue(input.key),
      body: safeBody(bodyParts.join("\n")),
    },
    problems,
    capped,
  };
}
