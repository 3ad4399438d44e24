import type { FromSchema } from "json-schema-to-ts";

/** `mirror`: the kernel mirror the series are applied to. */
export const mirrorSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    path: { type: ["string", "null"], default: null, description: "Local git repository used as the kernel mirror; null = do not apply." },
    branch: { type: "string", minLength: 1, default: "master", description: "Base when a series names no usable base-commit." },
  },
} as const;

/** `limits`: what is refused before it is parsed or given to git. */
export const limitsSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    maxPatchBytes: { type: "integer", minimum: 1024, default: 5 * 1024 * 1024, description: "Largest patch (one message's diff) given to git, in bytes." },
    maxMessageBytes: { type: "integer", minimum: 1024, default: 40 * 1024 * 1024, description: "Largest message parsed at all; larger ones are recorded as errors." },
  },
} as const;

/** `reply`: how and when the bot answers. */
export const replySection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    from: { type: "string", minLength: 3, default: "irqtriage <irqtriage@localhost>", description: "From: of replies; its domain also names the replies' Message-IDs." },
    onlyRelevant: { type: "boolean", default: true, description: "Only reply when the series is relevant (quiet by policy)." },
    archiveUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+/$",
      default: "https://lore.kernel.org/r/",
      description: "Message-ID links in replies: <archiveUrl><msgid> (the list archive; lore's /r/ resolves any list).",
    },
    maxRecipients: {
      type: "integer",
      minimum: 1,
      default: 20,
      description: "At most this many recipients per reply (author included); past it, only the author and the mailing lists on the original To/Cc, and a log line.",
    },
    lists: {
      type: "array",
      items: { type: "string", minLength: 2 },
      default: [],
      description: 'Mailing lists besides vger.kernel.org and lists.* hosts: an address ("irq@example.org") or a whole host ("@lists.example.org").',
    },
  },
} as const;

export type MirrorConfig = FromSchema<typeof mirrorSection>;
export type LimitsConfig = FromSchema<typeof limitsSection>;
export type ReplyConfig = FromSchema<typeof replySection>;
