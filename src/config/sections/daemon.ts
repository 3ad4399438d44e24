import type { FromSchema } from "json-schema-to-ts";

const ms = (d: number, description?: string) => ({ type: "integer", minimum: 0, default: d, ...(description ? { description } : {}) }) as const;

/** `daemon`: the long-running loop (queue, debounce, retries, outbox, health). */
export const daemonSection = {
  type: "object",
  additionalProperties: false,
  default: {},
  properties: {
    files: { type: "array", items: { type: "string", minLength: 1 }, default: [], description: "Local mbox files / maildirs / folders also followed; re-read every imap.pollIntervalMs." },
    settleMs: { type: "integer", minimum: 0, default: 500, description: "A thread's triage waits until it has been quiet this long." },
    maxDelayMs: { type: "integer", minimum: 0, default: 60_000, description: "...but never longer than this after the first mail of the burst." },
    incompleteGraceMs: { type: "integer", minimum: 0, default: 600_000, description: "An incomplete revision is answered only after this long without news." },
    lineageWindowDays: { type: "integer", minimum: 0, default: 180, description: "How far back same-author patch threads are loaded for lineage tracking." },
    concurrency: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        triage: { type: "integer", minimum: 1, default: 2, description: "Triage jobs at once." },
        apply: { type: "integer", minimum: 1, default: 1, description: "Worktrees + git am at once." },
        qemu: { type: "integer", minimum: 1, default: 1, description: "QEMU stages (kernel build + guest) at once." },
        test: { type: "integer", minimum: 1, default: 1, description: "`#irqtriage test` jobs at once." },
      },
    },
    stageWorker: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        // The simulator's typed-array churn left the daemon's malloc heap larger for good;
        // a helper process gives everything back when it exits.
        stages: { type: "array", items: { enum: ["balance", "sim", "qemu"] }, uniqueItems: true, default: ["sim"], description: "Stages run in a helper process that exits when idle." },
        idleMs: ms(5_000, "The helper exits after this long without a stage to run."),
      },
    },
    maxAttempts: { type: "integer", minimum: 1, default: 5 },
    backoffMs: { type: "integer", minimum: 10, default: 5_000, description: "First retry delay; doubled per attempt (with jitter), capped at an hour." },
    leaseMs: { type: "integer", minimum: 1_000, default: 60_000, description: "A job's lease; renewed while it runs." },
    shutdownGraceMs: ms(10_000, "How long SIGTERM waits for running jobs before parking them."),
    allowRetest: { type: "boolean", default: true, description: "A maintainer's #irqtriage retest may produce one more reply for a revision." },
    ignoreFrom: { type: "array", items: { type: "string", minLength: 3 }, default: [], description: "Addresses whose mail is stored but never triaged (other bots)." },
    ignoreHeaders: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: ["Auto-Submitted: ^auto-", "X-Patchwork-Bot", "X-Irqtriage-Key", "X-Mailer: ^(?:patchwork|kernel test robot)"],
      description: '"Header: regex" (case-insensitive on the value; "Header" alone = present) marking bot mail.',
    },
    outbox: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        sendIntervalMs: { type: "integer", minimum: 10, default: 1_000 },
        maxAttempts: { type: "integer", minimum: 1, default: 10 },
        retryMs: { type: "integer", minimum: 10, default: 30_000 },
        inDoubtGraceMs: ms(600_000, "How long a reply found 'sending' after a crash waits for its list copy."),
        inDoubt: { enum: ["at-most-once", "at-least-once"], default: "at-most-once", description: "Never resend an in-doubt reply, or resend it." },
      },
    },
    http: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        host: { enum: ["127.0.0.1", "::1", "localhost"], default: "127.0.0.1" },
        port: { type: ["integer", "null"], minimum: 0, maximum: 65535, default: 9464, description: "Health and metrics port; 0 = random, null = off." },
      },
    },
  },
} as const;

export type DaemonConfig = FromSchema<typeof daemonSection>;
