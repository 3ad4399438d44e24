/**
 * Raw RFC 822 mails → one mboxrd mailbox (`git am --patch-format=mboxrd`). Body lines matching
 * /^>*From / get one more ">", which git undoes, so a line starting "From " in a commit message
 * can never split a mail in two. A leading "From " separator a mail may carry is replaced.
 */
export function toMboxrd(mails: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const raw of mails) {
    let text = raw.toString("latin1"); // byte-preserving: every byte maps to one char and back
    if (text.startsWith("From ")) {
      const nl = text.indexOf("\n");
      text = nl < 0 ? "" : text.slice(nl + 1);
    }
    text = text.replace(/\r\n/g, "\n").replace(/^(>*From )/gm, ">$1");
    if (!text.endsWith("\n")) text += "\n";
    parts.push(Buffer.from(`From mboxrd@z Thu Jan  1 00:00:00 1970\n${text}\n`, "latin1"));
  }
  return Buffer.concat(parts);
}
