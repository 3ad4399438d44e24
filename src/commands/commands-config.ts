/**
 * The `commands` config section: who may steer the bot by mail and how often. Lives here (not in
 * src/config/) so the commands part owns its keys; src/config/{schema,config}.ts include it.
 */
export interface CommandsConfig {
  /** Answer `#irqtriage` command mails at all. */
  enabled: boolean;
  /** Addresses always allowed to give commands (besides MAINTAINERS, see `maintainerSections`). */
  allowlist: string[];
  /** MAINTAINERS section names (of the mirror) whose M:/R: addresses are allowed too; [] = none. */
  maintainerSections: string[];
  /**
   * Require a passing DKIM signature whose d= aligns with the From: domain. On by default: the
   * MAINTAINERS addresses are public, so without DKIM anyone could write "From: a maintainer".
   */
  requireDkim: boolean;
  /** Commands answered per mail; the rest get "too many commands". */
  maxPerMail: number;
  rateLimit: {
    perSender: RateLimitRule;
    perThread: RateLimitRule;
  };
  /** Trees `#irqtriage test <name> <ref>` may use: names map to configured remotes only. */
  trees: TreeConfig[];
}

export interface RateLimitRule {
  /** Commands allowed in the window. */
  max: number;
  windowSeconds: number;
}

export interface TreeConfig {
  /** The name a maintainer writes (`linus`, `tip`); [a-z0-9][a-z0-9._-]*. */
  name: string;
  /** git remote URL or local path; never taken from a mail. */
  url: string;
}

export const defaultMaintainerSections = [
  "IRQ SUBSYSTEM",
  "IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)",
  "IRQCHIP DRIVERS",
];

const rateRule = (max: number, windowSeconds: number) =>
  ({
    type: "object",
    additionalProperties: false,
    default: {},
    properties: {
      max: { type: "integer", minimum: 1, default: max },
      windowSeconds: { type: "integer", minimum: 1, default: windowSeconds },
    },
  }) as const;

/** JSON schema fragment for `commands` (ajv fills the defaults). */
export const commandsConfigSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: true },
    allowlist: { type: "array", items: { type: "string", minLength: 3 }, default: [] },
    maintainerSections: { type: "array", items: { type: "string", minLength: 1 }, default: defaultMaintainerSections },
    requireDkim: { type: "boolean", default: true },
    maxPerMail: { type: "integer", minimum: 1, maximum: 50, default: 5 },
    rateLimit: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: { perSender: rateRule(10, 3600), perThread: rateRule(20, 3600) },
    },
    trees: {
      type: "array",
      default: [],
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "url"],
        properties: {
          name: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,39}$" },
          url: { type: "string", minLength: 1 },
        },
      },
    },
  },
} as const;
