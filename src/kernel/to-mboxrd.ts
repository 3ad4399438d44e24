const SEPARATOR = Buffer.from("From mboxrd@z Thu Jan  1 00:00:00 1970\n", "latin1");

/**
 * A raw mail as git am's mailsplit hands it to mailinfo: without a leading "From " separator
 * line, CRLF line ends made LF. Works on the bytes, a line at a time, into one output buffer (a
 * 40 MiB mail costs one copy, not three strings).
 */
export function plainMail(raw: Buffer): Buffer {
  let start = 0;
  if (raw.length >= 5 && raw.toString("latin1", 0, 5) === "From ") {
    const nl = raw.indexOf(0x0a);
    start = nl < 0 ? raw.length : nl + 1;
  }
  if (raw.indexOf(0x0d, start) < 0) return raw.subarray(start);
  return copyLines(raw, start, false);
}

/**
 * Lines of raw[start..] into a new buffer, CRLF made LF; with `quote`, every line matching
 * /^>*From / gets one more ">" (mboxrd).
 */
function copyLines(raw: Buffer, start: number, quote: boolean): Buffer {
  const out = Buffer.allocUnsafe(raw.length - start + (quote ? countFromLines(raw, start) : 0) + 1);
  let n = 0;
  let pos = start;
  while (pos < raw.length) {
    let eol = raw.indexOf(0x0a, pos);
    const last = eol < 0;
    if (last) eol = raw.length;
    let end = eol;
    if (!last && end > pos && raw[end - 1] === 0x0d) end--;
    if (quote && isFromLine(raw, pos, end)) out[n++] = 0x3e;
    n += raw.copy(out, n, pos, end);
    if (!last) out[n++] = 0x0a;
    pos = eol + 1;
  }
  return out.subarray(0, n);
}

function isFromLine(raw: Buffer, pos: number, end: number): boolean {
  let i = pos;
  while (i < end && raw[i] === 0x3e) i++;
  return end - i >= 5 && raw[i] === 0x46 && raw.toString("latin1", i, i + 5) === "From ";
}

function countFromLines(raw: Buffer, start: number): number {
  let count = 0;
  let pos = start;
  while (pos < raw.length) {
    let eol = raw.indexOf(0x0a, pos);
    if (eol < 0) eol = raw.length;
    if (isFromLine(raw, pos, eol)) count++;
    pos = eol + 1;
  }
  return count;
}

/**
 * Raw RFC 822 mails → one mboxrd mailbox (`git am --patch-format=mboxrd`). Body lines matching
 * /^>*From / get one more ">", which git undoes, so a line starting "From " in a commit message
 * can never split a mail in two. A leading "From " separator a mail may carry is replaced.
 */
export function toMboxrd(mails: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const raw of mails) {
    const mail = plainMail(raw);
    parts.push(SEPARATOR, copyLines(mail, 0, true));
    if (mail.length === 0 || mail[mail.length - 1] !== 0x0a) parts.push(Buffer.from("\n"));
    parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}
