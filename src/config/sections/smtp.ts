import type { FromSchema } from "json-schema-to-ts";

/** `smtp`: where replies go. The password comes from IRQTRIAGE_SMTP_PASSWORD. */
export const smtpSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    host: { type: ["string", "null"], default: null, description: "SMTP server; null = leave replies in the outbox (status shows them)." },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 25 },
    secure: { type: "boolean", default: false },
    user: { type: ["string", "null"], default: null },
    allowSelfSigned: { type: "boolean", default: false },
  },
} as const;

export type SmtpConfig = FromSchema<typeof smtpSection>;
