import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { TriageError } from "../../types/triage-result.js";
import { MboxSplitter, type MboxPiece } from "./split-mbox.js";
import { detectDirKind, detectFileKind } from "./detect-mail-kind.js";

/**
 * One message as bytes, and where it came from ("box.mbox#17", "dir/cur/123.host:2,S", "a.eml").
 * `raw` may be a view into a shared read buffer: copy it (`Buffer.from(raw)`) to keep it.
 */
export interface RawMail {
  raw: Buffer;
  source: string;
  /** What was odd about how it was cut out of its mbox (see MboxSplitter); recorded as warnings. */
  notes?: string[];
  /** Cut out where the mail before it cannot have ended (MailMessage.cutFromAnother). */
  cutFromAnother?: boolean;
}

export type RawMailItem = RawMail | { error: TriageError };

export interface ReadMailOptions {
  /** Larger messages are not read (mbox: skipped while streaming); an error is recorded. */
  maxMessageBytes?: number;
  /** mbox quoting convention; see MboxSplitter. Default "mboxrd". */
  mboxFormat?: "mboxrd" | "mboxo";
  /** Read size for mbox files (bytes). */
  chunkBytes?: number;
  /** Called for each recorded problem when using `readMail` (which yields messages only). */
  onError?: (error: TriageError) => void;
}

const DEFAULT_CHUNK = 1024 * 1024;
/** Names in a folder that are skipped quietly when they are not mail (READMEs, scripts...). */
const MAIL_EXT = /\.(eml|mbox|mbx|mail|msg|patch|mbx)$/i;

/**
 * Streams the messages of mbox files, maildirs, .eml files and folders of them, in the order the
 * paths are given (folder and maildir entries sorted by name). Memory is bounded by one read
 * chunk plus the largest message under the limit: an mbox is never read whole.
 */
export async function* readMail(paths: readonly string[], opts: ReadMailOptions = {}): AsyncGenerator<RawMail> {
  for await (const item of readMailItems(paths, opts)) {
    if ("error" in item) opts.onError?.(item.error);
    else yield item;
  }
}

/** Like readMail, but problems (unreadable path, oversize message, not mail) come inline. */
export async function* readMailItems(paths: readonly string[], opts: ReadMailOptions = {}): AsyncGenerator<RawMailItem> {
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      yield { error: { source: p, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
      continue;
    }
    if (st.isDirectory()) yield* readDirectory(p, opts);
    else yield* readFile(p, st.size, opts, true);
  }
}

async function* readDirectory(dir: string, opts: ReadMailOptions): AsyncGenerator<RawMailItem> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    yield { error: { source: dir, message: `cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    return;
  }
  if (detectDirKind(entries) === "maildir") {
    for (const sub of ["cur", "new"]) {
      if (!entries.includes(sub)) continue;
      const subdir = path.join(dir, sub);
      let names: string[];
      try {
        names = (await readdir(subdir)).filter((n) => !n.startsWith(".")).sort();
      } catch (err) {
        yield { error: { source: subdir, message: `cannot list: ${(err as Error).message}` } };
        continue;
      }
      for (const n of names) yield* readEntry(path.join(subdir, n), opts, true);
    }
    return;
  }
  for (const n of entries.filter((e) => !e.startsWith(".")).sort()) yield* readEntry(path.join(dir, n), opts, MAIL_EXT.test(n));
}

async function* readEntry(file: string, opts: ReadMailOptions, mustBeMail: boolean): AsyncGenerator<RawMailItem> {
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    yield { error: { source: file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    return;
  }
  if (!st.isFile()) return; // nested folders are not walked: paths are given explicitly
  yield* readFile(file, st.size, opts, mustBeMail);
}

async function* readFile(file: string, size: number, opts: ReadMailOptions, mustBeMail: boolean): AsyncGenerator<RawMailItem> {
  const max = opts.maxMessageBytes ?? Number.MAX_SAFE_INTEGER;
  let fh;
  try {
    fh = await open(file, "r");
  } catch (err) {
    yield { error: { source: file, message: `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    return;
  }
  try {
    const head = Buffer.alloc(Math.min(size, 4096));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const kind = detectFileKind(head.subarray(0, bytesRead));
    if (kind === "mbox") {
      yield* readMbox(fh, file, opts);
      return;
    }
    if (kind === "unknown") {
      if (mustBeMail || size === 0) {
        yield { error: { source: file, message: size === 0 ? "empty file" : "not a mail file (neither an mbox nor a message with headers)" } };
      }
      return;
    }
    if (size > max) {
      yield { error: { source: file, message: `message is ${size} bytes, over the limit of ${max} (limits.maxMessageBytes); not parsed` } };
      return;
    }
    const raw = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const r = await fh.read(raw, off, size - off, off);
      if (r.bytesRead === 0) break;
      off += r.bytesRead;
    }
    yield { raw: off === size ? raw : raw.subarray(0, off), source: file };
  } catch (err) {
    yield { error: { source: file, message: `read failed: ${(err as Error).message}` } };
  } finally {
    await fh.close();
  }
}

async function* readMbox(fh: import("node:fs/promises").FileHandle, file: string, opts: ReadMailOptions): AsyncGenerator<RawMailItem> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK;
  const max = opts.maxMessageBytes ?? Number.MAX_SAFE_INTEGER;
  const splitter = new MboxSplitter({ maxMessageBytes: max, ...(opts.mboxFormat ? { format: opts.mboxFormat } : {}) });
  let pos = 0;
  for (;;) {
    // a fresh buffer per read: the splitter keeps views into it until the message is complete
    const buf = Buffer.allocUnsafe(chunkBytes);
    const { bytesRead } = await fh.read(buf, 0, chunkBytes, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    for (const piece of splitter.push(buf.subarray(0, bytesRead))) yield* toItems(piece, file, max);
  }
  for (const piece of splitter.end()) yield* toItems(piece, file, max);
}

/** A piece of an mbox as a message (with its notes) or as records: every piece is accounted for. */
function toItems(piece: MboxPiece, file: string, max: number): RawMailItem[] {
  const source = `${file}#${piece.index}`;
  if ("raw" in piece) return [{ raw: piece.raw, source, ...(piece.notes ? { notes: piece.notes } : {}), ...(piece.cutFromAnother ? { cutFromAnother: true } : {}) }];
  const notes = (piece.notes ?? []).map((n) => ({ error: { source, message: `warning: ${n}` } }));
  if ("empty" in piece) return [{ error: { source, message: `empty message: the separator at byte ${piece.offset} is followed by nothing` } }, ...notes];
  return [{ error: { source, message: `message is ${piece.oversize} bytes, over the limit of ${max} (limits.maxMessageBytes); not parsed` } }, ...notes];
}
