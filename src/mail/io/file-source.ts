import type { Logger } from "pino";
import type { MailSink, MailSource, MailSourceHealth } from "../../types/mail-source.js";
import type { TriageError } from "../../types/triage-result.js";
import { scanHeaders } from "../header-scan.js";
import { readMailItems, type RawMailItem } from "./read-mail.js";

export interface FileSourceOptions {
  /** mbox files, maildirs, .eml files, folders of them. */
  paths: readonly string[];
  maxMessageBytes?: number;
  mboxFormat?: "mboxrd" | "mboxo";
  /** Daemon use: re-read every this long. */
  pollIntervalMs?: number;
  /**
   * Daemon use: whether this copy (Message-ID and source) was handled already, so re-reading
   * is free. A copy of a known Message-ID from another source is handed over once: the store
   * compares it with the first copy and records a conflict.
   */
  known?: (msgid: string, source: string) => Promise<boolean>;
  log?: Logger;
}

/**
 * Local mail files as a mail source: `read()` streams them once (`irqtriage run`), `start()`
 * re-reads them every poll for the daemon and hands over the messages it has not stored yet.
 * Unreadable paths and oversize or non-mail files are recorded, never fatal.
 */
export class FileSource implements MailSource {
  readonly key = "files";
  readonly kind = "files";
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  private stopped = false;
  private lastRead = 0;
  private lastProblem: TriageError | null = null;
  private problemsInLastPass = 0;

  /** Copies (source + Message-ID) handed over or found known in this process: skipped without a store lookup. */
  private readonly handed = new Set<string>();

  constructor(private readonly opts: FileSourceOptions) {}

  private remember(key: string): void {
    if (this.handed.size >= 1_000_000) this.handed.clear();
    this.handed.add(key);
  }

  /** Every message and problem of the paths, in order (folders and maildirs sorted by name). */
  read(): AsyncGenerator<RawMailItem> {
    const { maxMessageBytes, mboxFormat } = this.opts;
    return readMailItems(this.opts.paths, { ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}), ...(mboxFormat ? { mboxFormat } : {}) });
  }

  start(sink: MailSink): void {
    if (!this.opts.paths.length) return;
    const pass = async (): Promise<void> => {
      let problems = 0;
      for await (const item of this.read()) {
        if (this.stopped) return;
        if ("error" in item) {
          problems++;
          this.lastProblem = item.error;
          this.opts.log?.warn({ error: item.error }, "mail file problem");
          continue;
        }
        const head = scanHeaders(item.raw);
        const seenKey = `${item.source}\n${head.msgid ?? ""}`;
        if (this.handed.has(seenKey)) continue;
        if (head.msgid && (await this.opts.known?.(head.msgid, item.source))) {
          this.remember(seenKey);
          continue;
        }
        await sink({ raw: item.raw, mailbox: "files", uid: null, source: item.source, checkpoint: null, ...(item.notes ? { notes: item.notes } : {}), ...(item.cutFromAnother ? { cutFromAnother: true } : {}) });
        if (head.msgid) this.remember(seenKey);
      }
      this.problemsInLastPass = problems;
      this.lastRead = Date.now();
    };
    const schedule = (): void => {
      if (this.stopped) return;
      this.busy = pass()
        .catch((err: unknown) => {
          this.lastProblem = { source: this.opts.paths.join(","), message: (err as Error).message };
          this.opts.log?.error({ err }, "reading mail files failed");
        })
        .finally(() => {
          this.busy = null;
          if (!this.stopped) this.timer = setTimeout(schedule, this.opts.pollIntervalMs ?? 30_000);
        });
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
  }

  health(): MailSourceHealth {
    // A pass that could read nothing at all (every path unreadable) is not healthy; a bad
    // message inside a readable mbox is a record, not an outage.
    const ok = this.lastRead > 0 && this.problemsInLastPass < this.opts.paths.length;
    return {
      key: this.key,
      kind: this.kind,
      ok: ok || this.opts.paths.length === 0,
      lastActivity: this.lastRead ? new Date(this.lastRead).toISOString() : null,
      ...(!ok && this.lastProblem ? { error: `${this.lastProblem.source}: ${this.lastProblem.message}` } : {}),
    };
  }
}
