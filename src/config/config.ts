import type { CommandsConfig } from "../commands/commands-config.js";
import type { GithubConfig } from "../github/github-config.js";
import type { DaemonConfig, ImapConfig, SmtpConfig } from "../daemon/daemon-config.js";
import type { QemuConfig } from "../qemu/qemu-config.js";
import type { SimConfig } from "../sim/sim-config.js";

/**
 * The typed configuration. Every section has defaults so that `npm start` runs with no file.
 * Secrets never live here: they come from the environment (see README, "Configuration").
 */
export interface Config {
  /** Folder for SQLite state, worktrees and the default outbox. */
  stateDir: string;
  /** Where reply .eml files are written; default `<stateDir>/outbox`. */
  outbox: string | null;
  mirror: MirrorConfig;
  limits: LimitsConfig;
  reply: ReplyConfig;
  commands: CommandsConfig;
  github: GithubConfig;
  imap: ImapConfig;
  smtp: SmtpConfig;
  daemon: DaemonConfig;
  qemu: QemuConfig;
  sim: SimConfig;
}

export interface MirrorConfig {
  /** Local git repository used as the kernel mirror; null means "do not apply". */
  path: string | null;
  /** Branch (or any rev) used as the base when a series names no usable base-commit. */
  branch: string;
}

export interface LimitsConfig {
  /** Largest patch (one message's diff) that is given to git, in bytes. */
  maxPatchBytes: number;
  /** Largest message that is parsed at all, in bytes; larger ones are recorded as errors. */
  maxMessageBytes: number;
}

export interface ReplyConfig {
  /** From: of replies. */
  from: string;
  /** Only reply when the series is relevant (quiet by policy). */
  onlyRelevant: boolean;
}
