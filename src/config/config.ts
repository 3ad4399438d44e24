import type { FromSchema } from "json-schema-to-ts";
import type { configSchema } from "./schema.js";

/**
 * The typed configuration, derived from the schema (defaults make every key present after
 * validation). Secrets never live here: they come from the environment (README, "Configuration").
 */
export type Config = FromSchema<typeof configSchema>;

export type { CommandsConfig, RateLimitRule, TreeConfig } from "./sections/commands.js";
export type { LimitsConfig, MirrorConfig, ReplyConfig } from "./sections/core.js";
export type { DaemonConfig } from "./sections/daemon.js";
export type { GithubConfig } from "./sections/github.js";
export type { ImapConfig } from "./sections/imap.js";
export type { QemuConfig } from "./sections/qemu.js";
export type { SimConfig } from "./sections/sim.js";
export type { SmtpConfig } from "./sections/smtp.js";
