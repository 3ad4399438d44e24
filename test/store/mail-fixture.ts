import type { MailMessage } from "../../src/mail/mail-message.js";
import type { OutgoingReply } from "../../src/types/outgoing-reply.js";
import type { RevisionResult } from "../../src/types/triage-result.js";

/** A MailMessage literal for store tests (the store does not parse). */
export function mail(msgid: string, over: Partial<MailMessage> = {}): MailMessage {
  return {
    msgid,
    msgidSynthetic: false,
    inReplyTo: null,
    references: [],
    subject: `[PATCH] ${msgid}`,
    from: { name: "Dev", address: "dev@example.org" },
    to: [{ name: "", address: "list@example.org" }],
    cc: [],
    date: new Date("2026-01-01T00:00:00Z"),
    headers: {},
    text: "body\n",
    attachments: [],
    source: "test",
    raw: Buffer.from(`Message-ID: <${msgid}>\r\n\r\nbody\r\n`),
    ...over,
  };
}

export function reply(key: string, inReplyTo: string, messageId = `irqtriage-${key.replace(/[^a-z0-9]/gi, "")}@bot.example`): OutgoingReply {
  return {
    key,
    messageId,
    inReplyTo,
    references: [inReplyTo],
    to: ["dev@example.org"],
    cc: ["list@example.org"],
    subject: `Re: ${inReplyTo}`,
    eml: `From: bot <bot@bot.example>\r\nMessage-ID: <${messageId}>\r\nIn-Reply-To: <${inReplyTo}>\r\nSubject: Re: x\r\n\r\nhello\r\n`,
  };
}

export function revision(version: number, patches: string[], over: Partial<RevisionResult> = {}): RevisionResult {
  return {
    version,
    rfc: false,
    title: `series v${version}`,
    author: "Dev <dev@example.org>",
    cover: null,
    patches: patches.map((msgid, i) => ({ msgid, index: i + 1, total: patches.length, subject: `[PATCH v${version} ${i + 1}/${patches.length}]` })),
    missing: [],
    reviews: [],
    trailers: [],
    relevant: true,
    reasons: ["touches kernel/irq/irqdomain.c"],
    apply: { status: "skipped", base: null, failed: null },
    reply: null,
    status: "live",
    applied: null,
    quiet: null,
    findings: [],
    ...over,
  };
}
