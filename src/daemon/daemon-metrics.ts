import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The daemon's Prometheus metrics, in their own registry (no global state, tests can make many). */
export class DaemonMetrics {
  readonly registry = new Registry();
  readonly messagesSeen = new Counter({ name: "irqtriage_messages_seen_total", help: "Messages read from sources, by outcome", labelNames: ["outcome"], registers: [this.registry] });
  readonly seriesTriaged = new Counter({ name: "irqtriage_series_triaged_total", help: "Series revisions triaged", registers: [this.registry] });
  readonly repliesQueued = new Counter({ name: "irqtriage_replies_queued_total", help: "Replies added to the outbox", registers: [this.registry] });
  readonly repliesSent = new Counter({ name: "irqtriage_replies_sent_total", help: "Replies handed to SMTP and accepted", registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: "irqtriage_queue_depth", help: "Jobs by state", labelNames: ["state"], registers: [this.registry] });
  readonly outboxPending = new Gauge({ name: "irqtriage_outbox_pending", help: "Replies not sent yet", registers: [this.registry] });
  readonly stageDuration = new Histogram({
    name: "irqtriage_stage_duration_seconds",
    help: "Duration of jobs and stages",
    labelNames: ["stage", "outcome"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
    registers: [this.registry],
  });
  readonly lastImapActivity = new Gauge({ name: "irqtriage_last_imap_activity_seconds", help: "Unix time of the last IMAP activity, per mailbox", labelNames: ["mailbox"], registers: [this.registry] });
  readonly imapConnected = new Gauge({ name: "irqtriage_imap_connected", help: "1 while the mailbox is selected", labelNames: ["mailbox"], registers: [this.registry] });
  readonly imapReconnects = new Counter({ name: "irqtriage_imap_reconnects_total", help: "IMAP reconnect attempts", labelNames: ["mailbox"], registers: [this.registry] });
}
