import type { Logger } from "../../log/logger.js";
import type { MailMessage } from "../../mail/mail-message.js";
import { authorize, type AuthDecision } from "../authorize.js";
import type { CommandsConfig } from "../../config/sections/commands.js";
import { parseCommands, type CommandItem } from "../parse-commands.js";
import { verifyDkim, type DkimSummary, type DnsResolver } from "./verify-dkim.js";

export interface CommandMailInspection {
  /** The text the commands were read from (parsed from raw when ingest left it empty). */
  body: string;
  fromAddresses: string[];
  items: CommandItem[];
  /** null when DKIM is not required (not checked) or there is no command. */
  dkim: DkimSummary | null;
  /** null when the mail carries no command (nothing to authorize). */
  auth: AuthDecision | null;
  /** Auto-Submitted or our own X-Irqtriage-Key: never acted on, never answered. */
  botMail: boolean;
}

/** Cheap test on raw bytes, before a full parse: could this mail carry a command? */
export function looksLikeCommandMail(raw: Buffer): boolean {
  return /^#irqtriage/im.test(raw.toString("latin1"));
}

function fromAddresses(msg: MailMessage): string[] {
  // Every From: header and every address in it: "From: a@x, b@y" or two From: headers are refused.
  const values = msg.headers["from"] ?? [];
  const found = values.flatMap((v) => v.match(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g) ?? []);
  if (found.length === 0 && msg.from?.address) found.push(msg.from.address);
  return found;
}

/**
 * Read a mail as a command mail without acting on it: its commands (validated), its DKIM
 * signatures and the authorization decision. processCommandMail acts on this; the
 * `check-command` CLI prints it.
 */
export async function inspectCommandMail(
  mail: { msg: MailMessage; raw: Buffer },
  o: { config: CommandsConfig; maintainers: readonly string[]; resolver?: DnsResolver; log: Logger },
): Promise<CommandMailInspection> {
  const { msg, raw } = mail;
  const botMail = (msg.headers["auto-submitted"] ?? []).some((v) => v.trim().toLowerCase() !== "no") || (msg.headers["x-irqtriage-key"] ?? []).length > 0;
  // Light messages (text not parsed by ingest) still deserve a look when they carry a command.
  let body = msg.text;
  if (body === "" && looksLikeCommandMail(raw)) body = (await (await import("mailparser")).simpleParser(raw)).text ?? "";
  const items = parseCommands(body, { trees: o.config.trees.map((t) => t.name), maxCommands: o.config.maxPerMail });
  const from = fromAddresses(msg);
  if (items.length === 0 || botMail) return { body, fromAddresses: from, items, dkim: null, auth: null, botMail };

  let dkim: DkimSummary | null = null;
  if (o.config.requireDkim) {
    try {
      dkim = await verifyDkim(raw, o.resolver ? { resolver: o.resolver } : {});
    } catch (err) {
      o.log.warn({ msgid: msg.msgid, err: (err as Error).message }, "DKIM verification failed to run");
      dkim = { signatures: [] };
    }
  }
  const auth = authorize({
    fromAddresses: from,
    allowlist: new Set(o.config.allowlist.map((a) => a.toLowerCase())),
    maintainers: new Set(o.maintainers),
    requireDkim: o.config.requireDkim,
    dkim,
  });
  return { body, fromAddresses: from, items, dkim, auth, botMail };
}
