import { loadConfig } from "../../config/io/load-config.js";
import type { Config } from "../../config/config.js";
import { ConfigError, ExitCode } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { startDaemon } from "../../daemon/daemon.js";
import { parseImapUrl, parseSmtpUrl } from "../../daemon/parse-endpoint-url.js";
import { smtpSender } from "../../daemon/outbox-sender.js";
import { buildDaemonParts } from "../../pipeline/build-daemon-parts.js";
import { optString } from "../args.js";
import type { CliCommand, ParsedArgs } from "../cli-command.js";
import path from "node:path";

const help = `usage: irqtriage daemon [--config <file>] [--imap <imap[s]://user@host:port/mailbox>]
                        [--smtp <smtp[s]://host:port>] [--from <address>] [--state <dir>]
                        [--mirror <git dir>] [--file <mbox|maildir>]... [--http-port <n>]

Follows the list (IMAP mailboxes and/or local mail files), triages new series, and sends
each reply once over SMTP. State (SQLite, WAL) lives in the state folder; kill it at any
point and start it again: nothing is lost, nothing is sent twice.

Flags override the config file; the same essentials also come from the environment:
  IRQTRIAGE_IMAP, IRQTRIAGE_SMTP, IRQTRIAGE_FROM, IRQTRIAGE_STATE, IRQTRIAGE_MIRROR.
Secrets only from the environment: IRQTRIAGE_IMAP_PASSWORD, IRQTRIAGE_SMTP_PASSWORD.

Health and Prometheus metrics: http://127.0.0.1:<daemon.http.port>/healthz and /metrics.
SIGTERM/SIGINT: stop reading, finish (or park) running jobs, log out of IMAP, exit 0.
`;

/** Apply flags and environment over the loaded config (flags win). */
export function applyDaemonOverrides(c: Config, args: ParsedArgs, env: NodeJS.ProcessEnv, cwd: string): Config {
  const imap = optString(args, "imap") ?? env["IRQTRIAGE_IMAP"];
  if (imap) {
    const u = parseImapUrl(imap);
    c.imap.host = u.host;
    c.imap.port = u.port;
    c.imap.secure = u.secure;
    if (u.user) c.imap.user = u.user;
    if (u.mailbox) c.imap.mailboxes = [u.mailbox];
  }
  const smtp = optString(args, "smtp") ?? env["IRQTRIAGE_SMTP"];
  if (smtp) {
    const u = parseSmtpUrl(smtp);
    c.smtp.host = u.host;
    c.smtp.port = u.port;
    c.smtp.secure = u.secure;
    if (u.user) c.smtp.user = u.user;
  }
  const from = optString(args, "from") ?? env["IRQTRIAGE_FROM"];
  if (from) c.reply.from = from;
  const state = optString(args, "state") ?? env["IRQTRIAGE_STATE"];
  if (state) c.stateDir = path.resolve(cwd, state);
  const mirror = optString(args, "mirror") ?? env["IRQTRIAGE_MIRROR"];
  if (mirror) c.mirror.path = path.resolve(cwd, mirror);
  const files = args.values["file"];
  if (Array.isArray(files)) c.daemon.files = files.map((f) => path.resolve(cwd, String(f)));
  const port = optString(args, "http-port");
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new ConfigError(`--http-port: not a port: ${port}`);
    c.daemon.http.port = Number(port);
  }
  return c;
}

export const command: CliCommand = {
  name: "daemon",
  summary: "follow the list over IMAP (or mail files), triage, reply once over SMTP",
  help,
  allowPositionals: false,
  options: {
    config: { type: "string" },
    imap: { type: "string" },
    smtp: { type: "string" },
    from: { type: "string" },
    state: { type: "string" },
    mirror: { type: "string" },
    file: { type: "string", multiple: true },
    "http-port": { type: "string" },
  },
  async run(args, io) {
    const config = applyDaemonOverrides(await loadConfig(optString(args, "config"), io.env, io.cwd), args, io.env, io.cwd);
    if (!config.imap.host && !config.daemon.files.length) throw new ConfigError("nothing to follow: give --imap (or imap.host) or --file (or daemon.files)");
    if (config.imap.host && !config.imap.user) throw new ConfigError("imap.user is missing (imap://user@host/...)");
    const log = createLogger({ level: "info", env: io.env, name: "irqtriage-daemon" });
    const parts = await buildDaemonParts(config, log);
    const imap = config.imap.host
      ? {
          host: config.imap.host,
          port: config.imap.port,
          secure: config.imap.secure,
          user: config.imap.user ?? "",
          password: io.env["IRQTRIAGE_IMAP_PASSWORD"] ?? "",
          allowSelfSigned: config.imap.allowSelfSigned,
        }
      : null;
    const sender = config.smtp.host ? smtpSender(config.smtp, io.env["IRQTRIAGE_SMTP_PASSWORD"]) : null;
    const daemon = await startDaemon({ config, store: parts.store, log, pipeline: parts.pipeline.run, imap, sender, commands: parts.commands });
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    log.info({ reason: String(io.signal.reason) }, "shutting down");
    await daemon.stop();
    await parts.close();
    return ExitCode.ok;
  },
};
