import type { FromSchema } from "json-schema-to-ts";

const reconnect = { type: "integer", minimum: 10 } as const;

/** `imap`: the list's IMAP server. The password comes from IRQTRIAGE_IMAP_PASSWORD. */
export const imapSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    host: { type: ["string", "null"], default: null, description: "IMAP server; null = do not follow IMAP." },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 993 },
    secure: { type: "boolean", default: true, description: "TLS from the start (imaps); false = plain (loopback tests) or STARTTLS when offered." },
    user: { type: ["string", "null"], default: null },
    mailboxes: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, default: ["INBOX"], description: "Mailboxes followed, each with its own UID checkpoint." },
    pollIntervalMs: { type: "integer", minimum: 100, default: 30_000, description: "NOOP poll as fallback besides IDLE (also the mail-file poll)." },
    reconnectMinMs: { ...reconnect, default: 1_000 },
    reconnectMaxMs: { ...reconnect, default: 60_000 },
    allowSelfSigned: { type: "boolean", default: false, description: "Accept self-signed certificates (a private list server)." },
  },
} as const;

export type ImapConfig = FromSchema<typeof imapSection>;
