import type { FromSchema } from "json-schema-to-ts";

/** MAINTAINERS sections whose M:/R: people may give commands by default. */
export const defaultMaintainerSections = ["IRQ SUBSYSTEM", "IRQ DOMAINS (IRQ NUMBER MAPPING LIBRARY)", "IRQCHIP DRIVERS"] as const;

const rateRule = (max: number, windowSeconds: number) =>
  ({
    type: "object",
    additionalProperties: false,
    default: {},
    properties: {
      max: { type: "integer", minimum: 1, default: max, description: "Commands allowed in the window." },
      windowSeconds: { type: "integer", minimum: 1, default: windowSeconds },
    },
  }) as const;

const treeSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "url"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,39}$", description: "The name a maintainer writes (linus, tip)." },
    url: { type: "string", minLength: 1, description: "git remote URL or local path; never taken from a mail." },
  },
} as const;

/** `commands`: who may steer the bot by mail and how often. */
export const commandsSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: true, description: "Answer #irqtriage command mails at all." },
    allowlist: { type: "array", items: { type: "string", minLength: 3 }, default: [], description: "Addresses always allowed to give commands." },
    maintainerSections: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: defaultMaintainerSections,
      description: "MAINTAINERS section names (of the mirror) whose M:/R: addresses are allowed too; [] = none.",
    },
    requireDkim: {
      type: "boolean",
      default: true,
      // MAINTAINERS addresses are public: without DKIM anyone could write "From: a maintainer".
      description: "Require a passing DKIM signature whose d= aligns with the From: domain.",
    },
    maxPerMail: { type: "integer", minimum: 1, maximum: 50, default: 5, description: "Commands answered per mail; the rest get 'too many commands'." },
    rateLimit: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: { perSender: rateRule(10, 3600), perThread: rateRule(20, 3600) },
    },
    trees: { type: "array", default: [], items: treeSchema, description: "Trees `#irqtriage test <name> <ref>` may use." },
  },
} as const;

export type CommandsConfig = FromSchema<typeof commandsSection>;
export type TreeConfig = FromSchema<typeof treeSchema>;
export type RateLimitRule = CommandsConfig["rateLimit"]["perSender"];
