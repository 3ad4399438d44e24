/** A reply ready for the outbox: headers decided, body rendered, RFC 822 text in `eml`. */
export interface OutgoingReply {
  /** One per series revision ("<lineage>#v<version>"), or per command mail for command answers. */
  key: string;
  /** Deterministic from `key`, without angle brackets: the same revision always gets the same id. */
  messageId: string;
  inReplyTo: string;
  references: string[];
  to: string[];
  cc: string[];
  subject: string;
  eml: string;
}
