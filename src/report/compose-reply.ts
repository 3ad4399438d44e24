import { createHash } from "node:crypto";
import type { Address } from "../mail/mail-message.js";
import type { OutgoingReply } from "../types/outgoing-reply.js";
import type { ReportSection } from "../types/report-section.js";
import { wrapText } from "./wrap-text.js";

/** The message the reply answers (a cover letter, or patch 1 of a series without one). */
export interface ReplyTarget {
  msgid: string;
  subject: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  references: string[];
  date: Date | null;
  /** Its body, for the short quote above our text. */
  text: string;
}

export interface ReplyInput {
  key: string;
  target: ReplyTarget;
  /** The opening paragraph: what was triaged. */
  intro: string;
  sections: ReportSection[];
  /** From: of the bot, "Name <addr>". */
  from: string;
  now: Date;
}

const severityRank = { problem: 0, notice: 1, info: 2 } as const;

export function replyMessageId(key: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "irqtriage.invalid";
  const h = createHash("sha256").update(key).digest("hex").slice(0, 20);
  return `irqtriage-${h}@${domain}`;
}

function formatAddress(a: Address): string {
  if (!a.name) return a.address;
  // Quote display names with specials, RFC 5322 3.2.3; encode non-ASCII ones (RFC 2047).
  const name = /[^\x20-\x7e]/.test(a.name)
    ? `=?UTF-8?B?${Buffer.from(a.name, "utf8").toString("base64")}?=`
    : /[()<>[\]:;@\\,."]/.test(a.name)
      ? `"${a.name.replace(/(["\\])/g, "\\$1")}"`
      : a.name;
  return `${name} <${a.address}>`;
}

function encodeHeader(value: string): string {
  if (!/[^\x20-\x7e]/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** Fold a header at commas/spaces so no line exceeds 78 columns (RFC 5322 2.1.1). */
function foldHeader(name: string, value: string): string {
  const words = value.split(" ");
  const lines: string[] = [];
  let cur = `${name}:`;
  for (const w of words) {
    if (cur.length + 1 + w.length > 78 && cur.length > name.length + 1) {
      lines.push(cur);
      cur = " " + w;
    } else {
      cur += " " + w;
    }
  }
  lines.push(cur);
  return lines.join("\r\n");
}

function replySubject(subject: string): string {
  const s = subject.trim();
  return /^re:/i.test(s) ? s : `Re: ${s}`;
}

function attribution(target: ReplyTarget): string {
  const who = target.from ? target.from.name || target.from.address : "someone";
  if (!target.date) return `${who} wrote:`;
  const d = target.date.toUTCString().replace(/GMT$/, "+0000");
  return `On ${d}, ${who} wrote:`;
}

/** A short quote of the target: its first paragraph, at most 4 lines (re-wrapped to fit), then "[...]". */
function shortQuote(text: string): string {
  const para: string[] = [];
  for (const l of text.replace(/\r\n/g, "\n").split("\n")) {
    if (para.length === 0 && l.trim() === "") continue;
    if (l.trim() === "" || l.startsWith("---") || l.startsWith("diff --git")) break;
    para.push(l.trim());
  }
  const lines = wrapText(para.join(" "), 70).split("\n");
  const quoted = lines.slice(0, 4).map((l) => `> ${l}`);
  quoted.push(">", "> [...]");
  return quoted.join("\n");
}

function dedupeAddresses(list: Address[], exclude: Set<string>): Address[] {
  const seen = new Set(exclude);
  const out: Address[] = [];
  for (const a of list) {
    const k = a.address.toLowerCase();
    if (!k || seen.has(k)) continue;
    seen.add(k);
    out.push(a);
  }
  return out;
}

/**
 * Compose a plain-text, bottom-posted reply with correct threading headers: To the author, Cc
 * the list and everyone on the original To/Cc, In-Reply-To and References, a `Re:` subject, a
 * deterministic Message-ID, and `Auto-Submitted: auto-generated` so other bots keep quiet.
 */
export function composeReply(input: ReplyInput): OutgoingReply {
  const { target } = input;
  const botAddr = (/<([^>]+)>/.exec(input.from)?.[1] ?? input.from).toLowerCase();
  const author = target.from;
  const toList = author ? [author] : [];
  const exclude = new Set([botAddr, ...toList.map((a) => a.address.toLowerCase())]);
  const ccList = dedupeAddresses([...target.to, ...target.cc], exclude);
  const messageId = replyMessageId(input.key, input.from);
  const references = [...target.references.filter((r) => r !== target.msgid), target.msgid];
  const subject = replySubject(target.subject);

  const sections = [...input.sections].sort((a, b) => severityRank[a.severity] - severityRank[b.severity]);
  const bodyParts = [attribution(target), shortQuote(target.text), "", wrapText(input.intro)];
  for (const s of sections) {
    bodyParts.push("", s.title, "-".repeat(Math.min(72, s.title.length)), wrapText(s.body.trimEnd()));
  }
  bodyParts.push(
    "",
    "-- ",
    "irqtriage: automated triage of IRQ-mapping patches.",
    "Reply with \"#irqtriage help\" on a line of its own for commands.",
  );
  // No trailing whitespace anywhere, except the signature separator, which is "-- " by convention.
  const body = bodyParts
    .join("\n")
    .split("\n")
    .map((l) => (l === "-- " ? l : l.replace(/[ \t]+$/, "")))
    .join("\n");

  const headers = [
    foldHeader("From", input.from),
    foldHeader("To", toList.map(formatAddress).join(", ") || "undisclosed-recipients:;"),
    ...(ccList.length ? [foldHeader("Cc", ccList.map(formatAddress).join(", "))] : []),
    foldHeader("Subject", encodeHeader(subject)),
    `Date: ${input.now.toUTCString().replace(/GMT$/, "+0000")}`,
    `Message-ID: <${messageId}>`,
    `In-Reply-To: <${target.msgid}>`,
    foldHeader("References", references.map((r) => `<${r}>`).join(" ")),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "Auto-Submitted: auto-generated",
    `X-Irqtriage-Key: ${encodeHeader(input.key)}`,
  ];
  const eml = headers.join("\r\n") + "\r\n\r\n" + body.replace(/\r?\n/g, "\r\n") + "\r\n";
  return {
    key: input.key,
    messageId,
    inReplyTo: target.msgid,
    references,
    to: toList.map((a) => a.address),
    cc: ccList.map((a) => a.address),
    subject,
    eml,
  };
}
