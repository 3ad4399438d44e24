import { commandsSection } from "./sections/commands.js";
import { limitsSection, mirrorSection, replySection } from "./sections/core.js";
import { daemonSection } from "./sections/daemon.js";
import { githubSection } from "./sections/github.js";
import { imapSection } from "./sections/imap.js";
import { qemuSection } from "./sections/qemu.js";
import { simSection } from "./sections/sim.js";
import { smtpSection } from "./sections/smtp.js";

/**
 * JSON Schema of the config file (YAML or JSON). Pure: validation is in `validateConfig`,
 * reading the file in io/load-config.ts. `Config` is derived from this object, so the type and
 * the schema cannot drift. Unknown keys are errors, so that a typo does not silently fall back
 * to a default.
 */
export const configSchema = {
  $id: "https://irqtriage.invalid/config.schema.json",
  type: "object",
  additionalProperties: false,
  properties: {
    stateDir: { type: "string", minLength: 1, default: ".irqtriage", description: "Folder for SQLite state, worktrees, kernel builds and the default outbox." },
    outbox: { type: ["string", "null"], default: null, description: "Where reply .eml files are written; default <stateDir>/outbox." },
    mirror: mirrorSection,
    limits: limitsSection,
    reply: replySection,
    commands: commandsSection,
    github: githubSection,
    imap: imapSection,
    smtp: smtpSection,
    daemon: daemonSection,
    qemu: qemuSection,
    sim: simSection,
  },
} as const;
