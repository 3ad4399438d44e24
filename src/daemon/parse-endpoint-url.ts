import { UsageError } from "../errors.js";

export interface ImapUrl {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  mailbox: string | null;
}

export interface SmtpUrl {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
}

/** `imap[s]://user@host:port/mailbox` (no password: that comes from IRQTRIAGE_IMAP_PASSWORD). */
export function parseImapUrl(text: string): ImapUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--imap: not a URL: ${text}`);
  }
  if (u.protocol !== "imap:" && u.protocol !== "imaps:") throw new UsageError(`--imap: expected imap:// or imaps://, got ${u.protocol}//`);
  if (u.password) throw new UsageError("--imap: put the password in IRQTRIAGE_IMAP_PASSWORD, not in the URL");
  const secure = u.protocol === "imaps:";
  const mailbox = decodeURIComponent(u.pathname.replace(/^\//, ""));
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    user: u.username ? decodeURIComponent(u.username) : null,
    mailbox: mailbox || null,
  };
}

/** `smtp[s]://[user@]host:port` (password from IRQTRIAGE_SMTP_PASSWORD). */
export function parseSmtpUrl(text: string): SmtpUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--smtp: not a URL: ${text}`);
  }
  if (u.protocol !== "smtp:" && u.protocol !== "smtps:") throw new UsageError(`--smtp: expected smtp:// or smtps://, got ${u.protocol}//`);
  if (u.password) throw new UsageError("--smtp: put the password in IRQTRIAGE_SMTP_PASSWORD, not in the URL");
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 465 : 25,
    secure,
    user: u.username ? decodeURIComponent(u.username) : null,
  };
}
