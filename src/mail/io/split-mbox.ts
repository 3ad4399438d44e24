import { cutInsideReason } from "../mbox-cut-check.js";

/**
 * One piece cut out of an mbox: its bytes, or only its size when it was over the limit, or
 * nothing when two separators had nothing between them. Every piece is handed out (and becomes
 * a message or a record): nothing the splitter cuts is dropped silently. `offset` is the byte
 * offset of its separator line in the file; `notes` say what was odd about the cut.
 */
export type MboxPiece =
  | { index: number; offset: number; raw: Buffer; notes?: string[]; cutFromAnother?: true }
  | { index: number; offset: number; oversize: number; notes?: string[] }
  | { index: number; offset: number; empty: true; notes?: string[] };

export interface MboxSplitterOptions {
  /** Messages larger than this are not kept in memory; they come out as `{ oversize }`. */
  maxMessageBytes?: number;
  /**
   * "mboxrd" (default; lore/public-inbox, b4, mutt): every ">+From " line loses one ">".
   * "mboxo": only ">From " becomes "From " (">>From " stays; mboxo cannot tell them apart).
   */
  format?: "mboxrd" | "mboxo";
}

const FROM_NL = Buffer.from("\nFrom ", "latin1");
/** Bytes kept back at a chunk end so a separator split across two chunks is still seen. */
const KEEP_BACK = 8;

/**
 * Incremental mbox splitter: feed it chunks, it hands back whole messages. Memory stays bounded
 * by the largest message (and by maxMessageBytes: an oversize message is counted, not kept).
 *
 * The format's rule, and nothing else: a message starts at a line "From " at the start of the
 * file or right after an empty line, that looks like an mbox "From " line (a hh:mm time and a
 * year, as git mailsplit checks, so "From the logs, 12:00..." stays text). The empty line
 * belongs to the separator and is not part of the previous message. CRLF files work ("\r\n" is
 * an empty line too). A "From " line that does NOT follow an empty line never starts a message,
 * however exact its date (it is body text an unquoting writer left, or a forgery); it is noted
 * on the message that keeps it.
 *
 * Each cut is accounted for: besides the pieces themselves, a cut where the message before it
 * cannot have ended (an unclosed multipart, a diff hunk short of its lines: mbox-cut-check.ts) is
 * noted on both pieces, because then the separator was most likely a body line of that message
 * that its writer did not quote.
 */
export class MboxSplitter {
  private readonly max: number;
  private readonly format: "mboxrd" | "mboxo";
  /** Scanned bytes of the current message (no separator inside). */
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** Unscanned / undecided bytes: the tail that may still hold the start of a separator. */
  private leftover: Buffer = Buffer.alloc(0);
  private started = false;
  private atFileStart = true;
  private oversize = false;
  private index = 0;
  /** Bytes pushed so far (the file offset just past the last chunk). */
  private pushed = 0;
  /** File offset of the current message's separator line (0 for the first message). */
  private pieceOffset = 0;
  /** Notes for the current message, collected while it is cut. */
  private notes: string[] = [];
  /** The input did not start with a separator: its first stretch has none. */
  private noLeadingSeparator = false;
  /** The current message starts at a cut inside the message before it. */
  private cutFromAnother = false;

  constructor(opts: MboxSplitterOptions = {}) {
    this.max = opts.maxMessageBytes ?? Number.MAX_SAFE_INTEGER;
    this.format = opts.format ?? "mboxrd";
  }

  /** Bytes held between calls (the current message so far plus the undecided tail). */
  heldBytes(): number {
    return (this.oversize ? 0 : this.partsLen) + this.leftover.length;
  }

  push(chunk: Buffer): MboxPiece[] {
    const out: MboxPiece[] = [];
    const work = this.leftover.length ? Buffer.concat([this.leftover, chunk]) : chunk;
    this.pushed += chunk.length;
    /** File offset of work[0]. */
    const base = this.pushed - work.length;
    let segStart = 0; // start of the current message's bytes inside `work`
    let scan = 0;
    if (this.atFileStart) {
      if (work.length < 5) {
        this.leftover = work;
        return out;
      }
      this.atFileStart = false;
      if (work.toString("latin1", 0, 5) === "From ") {
        const eol = work.indexOf(0x0a);
        if (eol < 0) {
          this.atFileStart = true;
          this.leftover = work;
          return out;
        }
        segStart = scan = eol + 1;
      } else this.noLeadingSeparator = true;
      this.started = true;
    }
    let keepFrom = -1;
    for (;;) {
      const idx = work.indexOf(FROM_NL, scan);
      if (idx < 0) break;
      const lineStart = idx + 1;
      const eol = work.indexOf(0x0a, lineStart);
      if (eol < 0) {
        keepFrom = Math.max(segStart, idx - 2);
        break;
      }
      // blank line before: "\n\nFrom " or "\n\r\nFrom "
      let blank = 0;
      if (idx >= 1 && work[idx - 1] === 0x0a) blank = 1;
      else if (idx >= 2 && work[idx - 1] === 0x0d && work[idx - 2] === 0x0a) blank = 2;
      else if (idx === 0 && this.partsLen === 0 && segStart === 0) blank = 1; // message was empty
      if (blank > 0 && isFromLine(work, lineStart, eol)) {
        // message ends with its last line's "\n" (at idx - blank); the blank line is dropped
        const msgEnd = Math.max(segStart, idx + 1 - blank);
        this.finish(work.subarray(segStart, msgEnd), out, base + lineStart);
        segStart = scan = eol + 1;
      } else {
        if (blank === 0 && isStrictFromLine(work, lineStart, eol)) {
          this.notes.push(`a line "From ..." at byte ${base + lineStart} looks like an mbox separator but does not follow an empty line: kept as text of this message`);
        }
        scan = lineStart;
      }
    }
    if (keepFrom < 0) keepFrom = Math.max(segStart, work.length - KEEP_BACK);
    this.append(work.subarray(segStart, keepFrom));
    this.leftover = Buffer.from(work.subarray(keepFrom));
    return out;
  }

  /** Call at end of input: returns the last message (if any). */
  end(): MboxPiece[] {
    const out: MboxPiece[] = [];
    let last = this.leftover;
    this.leftover = Buffer.alloc(0);
    if (!this.started && last.length === 0) return out;
    // the mbox's final empty line is the separator's, not the message's
    if (last.length >= 2 && last[last.length - 1] === 0x0a && last[last.length - 2] === 0x0a) last = last.subarray(0, -1);
    else if (last.length >= 4 && last.toString("latin1", last.length - 4) === "\r\n\r\n") last = last.subarray(0, -2);
    this.finish(last, out, null);
    return out;
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    this.partsLen += b.length;
    if (this.oversize) return;
    if (this.partsLen > this.max) {
      this.oversize = true;
      this.parts = [];
      return;
    }
    this.parts.push(b);
  }

  /**
   * Hands out the current message, ended by the separator at file offset `next` (null: by the
   * end of the file). The separator's offset becomes the next message's.
   */
  private finish(tail: Buffer, out: MboxPiece[], next: number | null): void {
    this.append(tail);
    const size = this.partsLen;
    const parts = this.parts;
    const wasOversize = this.oversize;
    const offset = this.pieceOffset;
    const notes = this.notes;
    const cutFromAnother = this.cutFromAnother;
    this.parts = [];
    this.partsLen = 0;
    this.oversize = false;
    this.notes = [];
    this.cutFromAnother = false;
    if (next !== null) this.pieceOffset = next;
    const withNotes = <T extends object>(p: T): T & { notes?: string[] } => (notes.length ? { ...p, notes } : p);
    if (!wasOversize && isBlank(parts)) {
      // Empty lines before the first separator of a file that does not start with one are no
      // message; an empty stretch after a separator is one (nothing in it), and is recorded.
      if (this.index === 0 && this.noLeadingSeparator) {
        this.noLeadingSeparator = false;
        return;
      }
      this.index++;
      out.push(withNotes({ index: this.index, offset, empty: true as const }));
      return;
    }
    this.index++;
    if (wasOversize) {
      out.push(withNotes({ index: this.index, offset, oversize: size }));
      return;
    }
    // A message inside one read chunk is handed out as a view (no copy, no allocation): callers
    // that keep `raw` beyond the iteration must copy it (parseMessage does for kept raws), or a
    // small message would keep a whole read chunk alive.
    const raw = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (next !== null) {
      const why = cutInsideReason(raw);
      if (why) {
        notes.push(`ends at the separator at byte ${next} although ${why}: the message after it may be the rest of this one (a body line "From " its writer did not quote)`);
        this.notes.push(`starts at byte ${next}, inside message #${this.index} (${why}): it may be text of that message cut at a body line "From ", not a mail of its own; its trailers do not count`);
        this.cutFromAnother = true;
      }
    }
    out.push(withNotes({ index: this.index, offset, raw: unquoteFrom(raw, this.format), ...(cutFromAnother ? { cutFromAnother: true as const } : {}) }));
  }
}

function isBlank(parts: Buffer[]): boolean {
  for (const p of parts) for (let i = 0; i < p.length; i++) if (p[i] !== 0x0a && p[i] !== 0x0d && p[i] !== 0x20 && p[i] !== 0x09) return false;
  return true;
}

/**
 * git mailsplit's test: "From " + something + a time "hh:mm" (digits around the last colon) and
 * a year after it. Lines like "From the start of the series..." in a badly quoted body do not
 * pass.
 */
export function isFromLine(buf: Buffer, start: number, eol: number): boolean {
  let end = eol;
  if (end > start && buf[end - 1] === 0x0d) end--;
  if (end - start < 20) return false;
  const line = buf.toString("latin1", start + 5, end);
  return /\d{1,2}:\d\d(?::\d\d)?(?: [+-]?\w+)? (?:\d{4})\b/.test(line) || /\b\d{4} \d{1,2}:\d\d/.test(line);
}

const STRICT_FROM = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\r?$/;

/** "From addr Mon Nov  9 20:46:46 2020" exactly (asctime date, as mbox writers and git make). */
export function isStrictFromLine(buf: Buffer, start: number, eol: number): boolean {
  if (eol - start > 200) return false;
  return STRICT_FROM.test(buf.toString("latin1", start, eol));
}

/** Undo ">From " quoting in one message (only scanned when ">From " occurs at all). */
export function unquoteFrom(raw: Buffer, format: "mboxrd" | "mboxo"): Buffer {
  if (raw.indexOf(">From ", 0, "latin1") < 0) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  let pos = 0;
  while (pos < raw.length) {
    let eol = raw.indexOf(0x0a, pos);
    eol = eol < 0 ? raw.length : eol + 1;
    let gt = pos;
    while (gt < eol && raw[gt] === 0x3e) gt++;
    const depth = gt - pos;
    const quoted =
      depth > 0 && (format === "mboxrd" || depth === 1) && eol - gt >= 5 && raw.toString("latin1", gt, gt + 5) === "From ";
    const from = quoted ? pos + 1 : pos;
    n += raw.copy(out, n, from, eol);
    pos = eol;
  }
  return out.subarray(0, n);
}
