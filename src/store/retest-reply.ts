import { createHash } from "node:crypto";
import type { OutgoingReply } from "../types/outgoing-reply.js";

/**
 * A reply for a revision that was answered before, asked for again by a maintainer
 * (`#irqtriage retest`, token = the command mail's Message-ID). It gets its own key and a new
 * deterministic Message-ID, so the retest answer is itself exactly-once, and it stays in the
 * thread (same In-Reply-To/References) of the revision it reports on.
 */
export function retestReply(reply: OutgoingReply, token: string): OutgoingReply {
  const h = createHash("sha256").update(`${reply.key}\0${token}`).digest("hex").slice(0, 20);
  const domain = reply.messageId.includes("@") ? reply.messageId.slice(reply.messageId.lastIndexOf("@") + 1) : "irqtriage.invalid";
  const messageId = `irqtriage-retest-${h}@${domain}`;
  const key = `${reply.key}#retest-${h.slice(0, 12)}`;
  const eml = reply.eml.replace(/^Message-ID:[^\r\n]*(\r?\n)/im, (_m, nl: string) => `Message-ID: <${messageId}>${nl}`);
  return { ...reply, key, messageId, eml };
}
