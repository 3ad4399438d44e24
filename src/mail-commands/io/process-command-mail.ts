import type { Config } from "../../config/config.js";
import type { Logger } from "../../log/logger.js";
import type { MailMessage } from "../../mail/mail-message.js";
import { composeReply } from "../../report/io/compose-reply.js";
import type { OutgoingReply } from "../../types/outgoing-reply.js";
import type { AuthDecision } from "../authorize.js";
import type { CommandContext, CommandRecord } from "../command-context.js";
import { runHandler } from "../handlers/command-handlers.js";
import { inspectCommandMail } from "./inspect-command-mail.js";
import type { CommandItem } from "../parse-commands.js";
import type { RateLimiter } from "../rate-limiter.js";
import type { DnsResolver } from "./verify-dkim.js";

export { looksLikeCommandMail } from "./inspect-command-mail.js";

export interface CommandMailDeps {
  config: Pick<Config, "commands" | "reply">;
  ctx: CommandContext;
  log: Logger;
  /** Lower-case M:/R: addresses of the IRQ sections (see loadMaintainerAllowlist). */
  maintainers: readonly string[];
  rateLimiter: RateLimiter;
  /** DNS for DKIM keys; default: the system resolver. */
  resolver?: DnsResolver;
  now?: () => Date;
}

export type CommandMailStatus =
  | "not-a-command"
  | "bot-mail"
  | "refused-untrusted"
  | "refused-not-allowed"
  | "rate-limited"
  | "answered";

export interface CommandMailOutcome {
  status: CommandMailStatus;
  /** The one answer for the thread (write it to the outbox under reply.key), or null. */
  reply: OutgoingReply | null;
  sender: string | null;
  auth: AuthDecision | null;
  records: CommandRecord[];
}

/** The reply key of the answer to a command mail: one answer per command mail, ever. */
export const commandReplyKey = (msgid: string): string => `command:${msgid}`;

function quoteLine(body: string, line: number): string {
  const text = (body.replace(/\r\n?/g, "\n").split("\n")[line - 1] ?? "").trimEnd();
  return `> ${text.length > 68 ? `${text.slice(0, 64)} [...]` : text}`;
}

/**
 * Handle one command mail end to end: find the `#irqtriage` lines, authorize the sender (allowlist
 * + MAINTAINERS, DKIM when required), rate-limit, run each command through the handler registry
 * and compose the single answer for the thread. The caller writes `reply` to the outbox under its
 * key (so a re-run never answers twice) and the handlers' effects are idempotent by
 * "<msgid>#<line>".
 *
 * Answer policy: a mail whose From: cannot be trusted (DKIM required but no aligned passing
 * signature, several From: addresses) gets no answer at all, only a log line and a record,
 * because the answer would go to whoever the forger named. A trusted sender who is not allowed
 * gets a short "not allowed" and nothing about the commands. Only authorized senders hear
 * "did not understand" and the other per-command answers.
 */
export async function processCommandMail(mail: { msg: MailMessage; raw: Buffer }, deps: CommandMailDeps): Promise<CommandMailOutcome> {
  const { msg } = mail;
  const cfg = deps.config.commands;
  const now = (deps.now ?? (() => new Date()))();
  const log = deps.log.child({ msgid: msg.msgid, part: "commands" });
  const none = (status: CommandMailStatus): CommandMailOutcome => ({ status, reply: null, sender: null, auth: null, records: [] });
  if (!cfg.enabled) return none("not-a-command");

  const seen = await inspectCommandMail(mail, {
    config: cfg,
    maintainers: deps.maintainers,
    log,
    ...(deps.resolver ? { resolver: deps.resolver } : {}),
  });
  if (seen.botMail) return none("bot-mail");
  const { body, items, auth } = seen;
  if (items.length === 0 || auth === null) return none("not-a-command");
  let lineage: string | null = null;
  const record = async (r: Omit<CommandRecord, "msgid" | "at" | "sender" | "lineage">): Promise<CommandRecord> => {
    const full = { ...r, msgid: msg.msgid, sender: auth.sender, lineage, at: now };
    await deps.ctx.recordCommand(full);
    return full;
  };
  const answer = (status: CommandMailStatus, intro: string, records: CommandRecord[]): CommandMailOutcome => {
    const composed = composeReply({
      key: commandReplyKey(msg.msgid),
      target: {
        msgid: msg.msgid,
        msgidSynthetic: msg.msgidSynthetic,
        subject: msg.subject,
        from: msg.from,
        to: msg.to,
        cc: msg.cc,
        references: msg.references,
        date: msg.date,
        text: body,
      },
      intro,
      sections: [],
      from: deps.config.reply.from,
      now,
      recipients: deps.config.reply,
    });
    if (composed.capped) log.warn({ wanted: composed.capped.wanted, kept: composed.capped.kept }, "answer recipients capped: author and lists only");
    if (composed.problems.length) log.warn({ problems: composed.problems }, composed.reply ? "answer: values from the mail dropped or replaced" : "command mail gets no answer");
    return { status, sender: auth.sender, auth, records, reply: composed.reply };
  };

  if (!auth.ok) {
    const rec = await record({ line: null, verb: null, outcome: "refused", detail: `${auth.reason}: ${auth.detail}` });
    if (auth.untrusted) {
      log.warn({ from: seen.fromAddresses, reason: auth.reason, detail: auth.detail }, "command mail refused: From: not trusted");
      return { status: "refused-untrusted", reply: null, sender: auth.sender, auth, records: [rec] };
    }
    log.warn({ sender: auth.sender, reason: auth.reason }, "command mail refused: sender not allowed");
    return answer("refused-not-allowed", "Sorry, you are not allowed to give irqtriage commands.", [rec]);
  }

  const thread = await deps.ctx.resolveThread([...(msg.inReplyTo ? [msg.inReplyTo] : []), ...[...msg.references].reverse()]);
  lineage = thread?.lineage ?? null;
  const rate = await deps.rateLimiter.take(auth.sender, lineage, now.getTime());
  if (!rate.allowed) {
    const mins = Math.ceil(rate.retryAfterMs / 60_000);
    const rec = await record({ line: null, verb: null, outcome: "rate-limited", detail: `${rate.scope} limit` });
    log.warn({ sender: auth.sender, scope: rate.scope, retryAfterMs: rate.retryAfterMs }, "command mail rate-limited");
    const who = rate.scope === "sender" ? "from you" : "on this series";
    return answer("rate-limited", `Too many commands ${who} recently; nothing was done. Try again in ${mins} minute${mins === 1 ? "" : "s"}.`, [rec]);
  }

  const parts: string[] = [];
  const records: CommandRecord[] = [];
  for (const item of items) {
    const { text, rec } = await runItem(item, { thread, sender: auth.sender, now, deps, log, msgid: msg.msgid });
    parts.push(`${quoteLine(body, item.line)}\n${text}`);
    records.push(await record(rec));
  }
  log.info({ sender: auth.sender, via: auth.via, commands: records.map((r) => `${r.verb ?? "?"}:${r.outcome}`) }, "command mail answered");
  return answer("answered", parts.join("\n\n"), records);
}

async function runItem(
  item: CommandItem,
  c: { thread: Awaited<ReturnType<CommandContext["resolveThread"]>>; sender: string; now: Date; deps: CommandMailDeps; log: Logger; msgid: string },
): Promise<{ text: string; rec: Omit<CommandRecord, "msgid" | "at" | "sender" | "lineage"> }> {
  if (item.kind === "too-many") {
    return {
      text: `Too many commands in one mail (at most ${c.deps.config.commands.maxPerMail}); this one was not run.`,
      rec: { line: item.line, verb: null, outcome: "too-many", detail: "over the per-mail cap" },
    };
  }
  if (item.kind === "invalid") {
    return { text: `Did not understand: ${item.error}. Nothing was run.`, rec: { line: item.line, verb: null, outcome: "invalid", detail: item.error } };
  }
  const verb = item.command.verb;
  try {
    const res = await runHandler(item.command, {
      ctx: c.deps.ctx,
      thread: c.thread,
      sender: c.sender,
      key: `${c.msgid}#${item.line}`,
      msgid: c.msgid,
      line: item.line,
      config: c.deps.config.commands,
      log: c.log.child({ verb }),
      now: c.now,
    });
    return { text: res.text, rec: { line: item.line, verb, outcome: res.ok ? "done" : "failed", detail: res.ok ? "" : res.text } };
  } catch (err) {
    c.log.error({ verb, err: (err as Error).message }, "command handler failed");
    return { text: "This command failed inside irqtriage; the maintainers of the bot have the log.", rec: { line: item.line, verb, outcome: "failed", detail: (err as Error).message } };
  }
}
