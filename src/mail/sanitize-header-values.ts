import type { Address, MailMessage, MailProblem } from "./mail-message.js";
import { cleanText, hasControl, preview, unsafeCharNames } from "./header-safety.js";

/** The header fields of a MailMessage, before a missing Message-ID is synthesized. */
export type HeaderValues = Pick<MailMessage, "inReplyTo" | "references" | "subject" | "from" | "to" | "cc" | "date"> & { msgid: string | null };

/**
 * The decoded header values of a message, made safe to use: an id holding a control character
 * (CR, LF, NUL, TAB...; an encoded word decoded by a lenient parser, or a raw byte) is dropped,
 * a subject or display name gets those characters replaced (header-safety.ts), an address
 * holding one is dropped. Each change is recorded in `problems`. Returns `head` itself when
 * nothing needed changing (the common case: no copies of shared, interned values).
 */
export function sanitizeHeaderValues(head: HeaderValues, problems: MailProblem[]): HeaderValues {
  let out = head;
  const edit = (): HeaderValues => (out === head ? (out = { ...head }) : out);
  const record = (message: string): void => {
    problems.push({ severity: "error", message });
  };

  if (head.msgid !== null && hasControl(head.msgid)) {
    record(`Message-ID ${preview(head.msgid)} holds ${unsafeCharNames(head.msgid)}: dropped`);
    edit().msgid = null;
  }
  if (head.inReplyTo !== null && hasControl(head.inReplyTo)) {
    record(`In-Reply-To ${preview(head.inReplyTo)} holds ${unsafeCharNames(head.inReplyTo)}: dropped`);
    edit().inReplyTo = null;
  }
  if (head.references.some(hasControl)) {
    const bad = head.references.filter(hasControl);
    record(`References: ${bad.length} id${bad.length > 1 ? "s" : ""} holding control characters dropped (first ${preview(bad[0]!)})`);
    edit().references = head.references.filter((r) => !hasControl(r));
  }
  const subject = cleanText(head.subject);
  if (subject.replaced) {
    record(`Subject holds ${unsafeCharNames(head.subject)} after decoding: ${subject.replaced} character${subject.replaced > 1 ? "s" : ""} replaced`);
    edit().subject = subject.text;
  }
  if (head.from) {
    const from = cleanAddresses([head.from], "From", record);
    if (from !== null) edit().from = from[0] ?? null;
  }
  const to = cleanAddresses(head.to, "To", record);
  if (to !== null) edit().to = to;
  const cc = cleanAddresses(head.cc, "Cc", record);
  if (cc !== null) edit().cc = cc;
  return out;
}

/** null when every entry is clean (nothing to copy), else the cleaned list. */
function cleanAddresses(list: readonly Address[], field: string, record: (m: string) => void): Address[] | null {
  let dirty = false;
  for (const a of list) {
    if (hasControl(a.address) || cleanText(a.name).replaced) {
      dirty = true;
      break;
    }
  }
  if (!dirty) return null;
  const out: Address[] = [];
  for (const a of list) {
    if (hasControl(a.address)) {
      record(`${field}: address ${preview(a.address)} holds ${unsafeCharNames(a.address)}: dropped`);
      continue;
    }
    const name = cleanText(a.name);
    if (name.replaced) {
      record(`${field}: display name of ${a.address || "(no address)"} holds ${unsafeCharNames(a.name)} after decoding: ${name.replaced} character${name.replaced > 1 ? "s" : ""} replaced`);
      out.push({ name: name.text, address: a.address });
    } else out.push(a);
  }
  return out;
}
