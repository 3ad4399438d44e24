import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadMaintainerAllowlist } from "../../mail-commands/io/load-maintainer-allowlist.js";
import { inspectCommandMail } from "../../mail-commands/io/inspect-command-mail.js";
import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode, InputError, UsageError } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { parseMessage } from "../../mail/parse-message.js";
import { optBool, optString } from "../args.js";
import type { CliCommand } from "../cli-command.js";

const help = `usage: irqtriage check-command <mail.eml> [--config <file>] [--json]

Reads one mail the way the daemon reads a command mail and says what it would do, without
doing it: the "#irqtriage" commands found (validated: verbs, configured tree names, safe
branch names, finding ids), the DKIM signatures (checked with mailauth against DNS when
commands.requireDkim is on), and whether the sender is allowed (commands.allowlist plus the
M:/R: people of commands.maintainerSections in the mirror's MAINTAINERS).
Exit code 0 when the sender is authorized and every command is valid, 1 otherwise.
--json prints {"from", "authorized", "auth", "dkim", "commands": [...]}.
`;

export const command: CliCommand = {
  name: "check-command",
  summary: "show how a command mail would be read and authorized (no action taken)",
  help,
  allowPositionals: true,
  options: { config: { type: "string" }, json: { type: "boolean" } },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError("give exactly one mail file");
    const file = path.resolve(io.cwd, args.positionals[0] as string);
    const config = await loadConfig(optString(args, "config"), io.env, io.cwd);
    const log = createLogger({ env: io.env, name: "irqtriage-check-command" });
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (err) {
      throw new InputError(`cannot read ${file}: ${(err as Error).message}`, file);
    }
    const msg = await parseMessage(raw, file, { keepRaw: true });
    const maintainers = config.mirror.path
      ? await loadMaintainerAllowlist(config.mirror.path, config.mirror.branch, config.commands.maintainerSections, log)
      : [];
    const seen = await inspectCommandMail({ msg, raw }, { config: config.commands, maintainers, log });
    const commands = seen.items.map((i) =>
      i.kind === "command" ? { line: i.line, ok: true, ...i.command } : { line: i.line, ok: false, error: i.kind === "invalid" ? i.error : "too many commands" },
    );
    const authorized = seen.auth?.ok === true;
    const good = authorized && commands.length > 0 && commands.every((c) => c.ok);
    if (optBool(args, "json")) {
      io.stdout.write(JSON.stringify({ from: seen.fromAddresses, botMail: seen.botMail, authorized, auth: seen.auth, dkim: seen.dkim, commands }, null, 2) + "\n");
      return good ? ExitCode.ok : ExitCode.findings;
    }
    const lines = [`from: ${seen.fromAddresses.join(", ") || "(none)"}`];
    if (seen.botMail) lines.push("bot mail (Auto-Submitted / X-Irqtriage-Key): never acted on");
    if (commands.length === 0) lines.push("no #irqtriage commands");
    for (const s of seen.dkim?.signatures ?? []) lines.push(`dkim: d=${s.domain} ${s.result}${s.comment ? ` (${s.comment})` : ""}`);
    if (seen.dkim === null && seen.auth) lines.push("dkim: not required (commands.requireDkim is off)");
    if (seen.auth) lines.push(seen.auth.ok ? `authorized: yes (${seen.auth.via})` : `authorized: no (${seen.auth.reason}: ${seen.auth.detail})`);
    for (const c of commands) lines.push(`line ${c.line}: ${c.ok ? JSON.stringify(c) : `refused: ${String(c.error)}`}`);
    io.stdout.write(lines.join("\n") + "\n");
    return good ? ExitCode.ok : ExitCode.findings;
  },
};
