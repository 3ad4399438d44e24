import { commandsConfigSchema } from "../commands/commands-config.js";
import { githubConfigSchema } from "../github/github-config.js";
import { daemonConfigSchema, imapConfigSchema, smtpConfigSchema } from "../daemon/daemon-config.js";
import { qemuConfigSchema } from "../qemu/qemu-config.js";
import { simConfigSchema } from "../sim/sim-config.js";

/**
 * JSON Schema of the config file (YAML or JSON). Pure: validation happens in `validateConfig`,
 * reading the file in `load-config.ts`. Sections are added by the parts that need them; unknown
 * keys are errors so that a typo does not silently fall back to a default.
 */
export const configSchema = {
  $id: "https://irqtriage.invalid/config.schema.json",
  type: "object",
  additionalProperties: false,
  properties: {
    stateDir: { type: "string", minLength: 1, default: ".irqtriage" },
    outbox: { type: ["string", "null"], default: null },
    mirror: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        path: { type: ["string", "null"], default: null },
        branch: { type: "string", minLength: 1, default: "master" },
      },
    },
    limits: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        maxPatchBytes: { type: "integer", minimum: 1024, default: 5 * 1024 * 1024 },
        maxMessageBytes: { type: "integer", minimum: 1024, default: 40 * 1024 * 1024 },
      },
    },
    reply: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        from: { type: "string", minLength: 3, default: "irqtriage <irqtriage@localhost>" },
        onlyRelevant: { type: "boolean", default: true },
      },
    },
    commands: commandsConfigSchema,
    github: githubConfigSchema,
    imap: imapConfigSchema,
    smtp: smtpConfigSchema,
    daemon: daemonConfigSchema,
    qemu: qemuConfigSchema,
    sim: simConfigSchema,
  },
} as const;
