import type { MailMessage } from "./mail-message.js";

/**
 * Which mail is kept (for threading, in the daemon's store) but never triaged, so that it can
 * never cause a reply: the bot's own mail and other bots' mail. As data (pure); the daemon and
 * `irqtriage run` use the same filter.
 */
export interface MailFilter {
  /** Lower-case addresses: the bot's own From: plus `daemon.ignoreFrom` (compared without regard to case). */
  addresses: Set<string>;
  /** Header (lower case) → value pattern, or null for "present at all". */
  headers: { name: string; pattern: RegExp | null }[];
}

/** Build the filter from the bot's From: and the config lists ("Header" or "Header: regex"). */
export function mailFilter(botFrom: string, ignoreFrom: string[], ignoreHeaders: string[]): MailFilter {
  const addr = (s: string): string => (/<([^>]+)>/.exec(s)?.[1] ?? s).trim().toLowerCase();
  const headers = ignoreHeaders.map((h) => {
    const i = h.indexOf(":");
    if (i < 0) return { name: h.trim().toLowerCase(), pattern: null };
    return { name: h.slice(0, i).trim().toLowerCase(), pattern: new RegExp(h.slice(i + 1).trim(), "i") };
  });
  return { addresses: new Set([addr(botFrom), ...ignoreFrom.map(addr)]), headers };
}

/**
 * Why a message must not be triaged (so it can never cause a reply), or null. Own mail and
 * other bots' mail are recognised by address and by header (Auto-Submitted, X-Patchwork-Bot,
 * our own X-Irqtriage-Key): a reply of ours that comes back from the list is never answered.
 */
export function classifyMail(msg: Pick<MailMessage, "from" | "headers">, filter: MailFilter): string | null {
  const from = msg.from?.address.toLowerCase();
  if (from && filter.addresses.has(from)) return `ignored sender ${from}`;
  for (const h of filter.headers) {
    const values = msg.headers[h.name];
    if (!values?.length) continue;
    if (!h.pattern) return `bot header ${h.name}`;
    const hit = values.find((v) => h.pattern?.test(v));
    if (hit !== undefined) return `bot header ${h.name}: ${hit.slice(0, 60)}`;
  }
  return null;
}
