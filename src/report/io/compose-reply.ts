import { createRequire } from "node:module";
import type MailComposerClass from "nodemailer/lib/mail-composer/index.js";
import type { OutgoingReply } from "../../types/outgoing-reply.js";
import { checkReplyMail } from "../check-reply-mail.js";
import { planReply, type ReplyDraft, type ReplyInput } from "../plan-reply.js";

export type { ReplyInput, ReplyTarget, RecipientPolicy } from "../plan-reply.js";
export { replyMessageId } from "../plan-reply.js";

export interface ComposedReply {
  /** null: no reply may be sent (no valid Message-ID, no valid author, or it failed its own check). */
  reply: OutgoingReply | null;
  /** What was dropped, replaced or capped, and why there is no reply: for the run's records. */
  problems: string[];
  /** Set when the recipients were capped (the caller says so in its log). */
  capped: { wanted: number; kept: number } | null;
}

let composerClass: typeof MailComposerClass | null = null;

/**
 * nodemailer's MailComposer, loaded on the first reply (synchronously, it is CommonJS): a run
 * holding a 40 MiB mail while parsing it does not also hold nodemailer's 13 MB.
 */
function mailComposer(): typeof MailComposerClass {
  composerClass ??= createRequire(import.meta.url)("nodemailer/lib/mail-composer/index.js") as typeof MailComposerClass;
  return composerClass;
}

/**
 * The header block of a draft, written by nodemailer's MailComposer (libmime): display names
 * and the subject RFC 2047-encoded where needed (encoded words of at most 75 characters, folded
 * at 76 columns), addresses normalized, ids bracketed. The body is ours and goes as 8bit UTF-8
 * (plain text for a mailing list, no quoted-printable), so the composer is given none: with no
 * content it leaves our Content-Type and Content-Transfer-Encoding as they are.
 */
export function renderHeaders(d: ReplyDraft): string {
  const composer = new (mailComposer())({
    from: { name: d.from.name, address: d.from.address },
    to: d.to.map((a) => ({ name: a.name, address: a.address })),
    ...(d.cc.length ? { cc: d.cc.map((a) => ({ name: a.name, address: a.address })) } : {}),
    subject: d.subject,
    date: d.date,
    messageId: `<${d.messageId}>`,
    inReplyTo: `<${d.inReplyTo}>`,
    references: d.references.map((r) => `<${r}>`),
    headers: { "Auto-Submitted": "auto-generated", "X-Irqtriage-Key": d.keyHeader },
    text: "",
    // nothing of a reply is ever read from a file or a URL
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  node.setHeader("Content-Type", "text/plain; charset=utf-8");
  node.setHeader("Content-Transfer-Encoding", "8bit");
  return node.buildHeaders();
}

/**
 * Compose a plain-text, bottom-posted reply: planReply decides and checks every value (pure),
 * MailComposer writes the header, checkReplyMail checks the result. A reply is either all of
 * that or nothing: `reply` is null and `problems` says why.
 */
export function composeReply(input: ReplyInput): ComposedReply {
  const plan = planReply(input);
  if (!plan.draft) return { reply: null, problems: plan.problems, capped: plan.capped };
  const d = plan.draft;
  const eml = renderHeaders(d) + "\r\n\r\n" + d.body.replace(/\n/g, "\r\n") + "\r\n";
  const wrong = checkReplyMail(eml);
  if (wrong.length) {
    return { reply: null, problems: [...plan.problems, `no reply: the composed mail failed its own check (${wrong.join("; ")})`], capped: plan.capped };
  }
  return {
    reply: {
      key: d.key,
      messageId: d.messageId,
      inReplyTo: d.inReplyTo,
      references: d.references,
      to: d.to.map((a) => a.address),
      cc: d.cc.map((a) => a.address),
      subject: d.subject,
      eml,
    },
    problems: plan.problems,
    capped: plan.capped,
  };
}
