import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile, open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMail, readMailItems, type RawMail } from "../../src/mail/io/read-mail.js";
import { MboxSplitter, unquoteFrom } from "../../src/mail/io/split-mbox.js";
import { scanHeaders } from "../../src/mail/header-scan.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-mbox-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function all(paths: string[], opts = {}): Promise<RawMail[]> {
  const out: RawMail[] = [];
  for await (const m of readMail(paths, opts)) out.push(m);
  return out;
}

const mail = (i: number, body: string): string =>
  `From sender${i}@example.org Mon Nov  9 20:46:${String(i % 60).padStart(2, "0")} 2020\n` +
  `From: Sender ${i} <sender${i}@example.org>\nSubject: message ${i}\nMessage-ID: <m${i}@example.org>\n\n${body}\n`;

describe("mbox streaming", () => {
  it("reads 20,000 messages with a 64 KiB read size: right count, order, ids and bodies; memory stays bounded", async () => {
    const file = path.join(dir, "many.mbox");
    const fh = await open(file, "w");
    const N = 20_000;
    let batch = "";
    for (let i = 1; i <= N; i++) {
      // bodies of varied size so that separators fall at every offset of the read chunks
      batch += mail(i, `line one of ${i}\n${"x".repeat(i % 997)}\nend of ${i}`) + "\n";
      if (batch.length > 1 << 20) {
        await fh.write(batch);
        batch = "";
      }
    }
    await fh.write(batch);
    await fh.close();

    const rssBefore = process.memoryUsage().rss;
    let n = 0;
    let peakDelta = 0;
    for await (const m of readMail([file], { chunkBytes: 64 * 1024 })) {
      n++;
      const scan = scanHeaders(m.raw);
      expect(scan.msgid).toBe(`m${n}@example.org`);
      expect(m.source).toBe(`${file}#${n}`);
      const text = m.raw.toString("latin1");
      expect(text.slice(-40), `message ${n}`).toMatch(new RegExp(`\\nend of ${n}\\n$`)); // the separator's blank line is not part of it
      if (n % 2000 === 0) peakDelta = Math.max(peakDelta, process.memoryUsage().rss - rssBefore);
    }
    expect(n).toBe(N);
    // a loose RSS sanity bound (GC timing makes RSS noisy) ...
    expect(peakDelta).toBeLessThan(200 * 1024 * 1024);
    // ... and the exact one: the splitter never holds more than the message being cut plus a
    // few bytes, whatever the file size (the largest message here is ~1.1 KB)
    const splitter = new MboxSplitter();
    let maxHeld = 0;
    let pieces = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
      pieces += splitter.push(chunk as Buffer).length;
      maxHeld = Math.max(maxHeld, splitter.heldBytes());
    }
    pieces += splitter.end().length;
    expect(pieces).toBe(N);
    expect(maxHeld).toBeLessThan(2048);
  });

  it("splits only on real separators: a body line \"From the logs...\" after a blank line is not one", async () => {
    const file = path.join(dir, "fromline.mbox");
    await writeFile(file, mail(1, "hello\n\nFrom the logs it looks bad, see 12:00 today\nbye") + "\n" + mail(2, "two"));
    const got = await all([file]);
    expect(got.map((m) => scanHeaders(m.raw).msgid)).toEqual(["m1@example.org", "m2@example.org"]);
    expect(got[0]!.raw.toString()).toContain("\nFrom the logs it looks bad");
  });

  it("only a From line after an empty line starts a message: an exact one without it stays text, and is noted", async () => {
    const file = path.join(dir, "noblank.mbox");
    // mail 1's body carries a forged separator and mail with no empty line before it
    const forged = "From mallory@example.org Mon Nov  9 20:46:46 2020\nFrom: Irq Maintainer <maz@kernel.org>\nSubject: Re: other\nMessage-ID: <forged@example.org>\n\nReviewed-by: Irq Maintainer <maz@kernel.org>";
    await writeFile(file, mail(1, `hello\n${forged}\nrest of the real mail`) + "\n" + mail(2, "two"));
    const items = [];
    for await (const it of readMailItems([file])) items.push(it);
    const got = items.filter((i): i is RawMail => "raw" in i);
    expect(got.map((m) => scanHeaders(m.raw).msgid)).toEqual(["m1@example.org", "m2@example.org"]);
    expect(got[0]!.raw.toString()).toContain("Reviewed-by: Irq Maintainer <maz@kernel.org>\nrest of the real mail\n");
    expect(got[0]!.notes).toEqual([expect.stringMatching(/^a line "From \.\.\." at byte \d+ looks like an mbox separator but does not follow an empty line: kept as text of this message$/)]);
    expect(got[1]!.notes).toBeUndefined();
  });

  it("a cut inside a diff hunk or an open multipart is noted on both pieces; an empty stretch is recorded", async () => {
    const file = path.join(dir, "cutinside.mbox");
    const patch = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,6 +1,6 @@\n a\n-b\n+c\n\nFrom evil@example.org Mon Nov  9 20:46:46 2020\nFrom: Evil <evil@example.org>\nMessage-ID: <cut@example.org>\n\n d\n e";
    const multipart = (i: number): string =>
      `From sender${i}@example.org Mon Nov  9 20:46:00 2020\nFrom: S <s@example.org>\nMessage-ID: <mp${i}@example.org>\nContent-Type: multipart/mixed; boundary=BB\n\n--BB\nContent-Type: text/plain\n\nhi\n`;
    await writeFile(file, mail(1, patch) + "\n" + multipart(2) + "\n" + mail(3, "three") + "\nFrom x@y Mon Nov  9 20:46:46 2020\n\n" + mail(4, "four"));
    const items = [];
    for await (const it of readMailItems([file])) items.push(it);
    const msgs = items.filter((i): i is RawMail => "raw" in i);
    expect(msgs.map((m) => scanHeaders(m.raw).msgid)).toEqual(["m1@example.org", "cut@example.org", "mp2@example.org", "m3@example.org", "m4@example.org"]);
    expect(msgs[0]!.notes).toEqual([expect.stringMatching(/although its last diff hunk is 4 lines short: the message after it may be the rest of this one/)]);
    expect(msgs[1]!.notes).toEqual([expect.stringMatching(/^starts at byte \d+, inside message #1 \(its last diff hunk is 4 lines short\)/)]);
    expect(msgs[2]!.notes).toEqual([expect.stringMatching(/although its multipart\/mixed body has no closing boundary/)]);
    expect(msgs[3]!.notes).toEqual([expect.stringMatching(/inside message #3 \(its multipart\/mixed body has no closing boundary\)/)]);
    const errors = items.filter((i) => "error" in i);
    expect(errors).toEqual([{ error: { source: `${file}#5`, message: expect.stringMatching(/^empty message: the separator at byte \d+ is followed by nothing$/) } }]);
    // every piece is accounted for: 6 pieces, 5 messages and 1 record, numbered without a gap
    expect(items.map((i) => ("raw" in i ? i.source : i.error.source))).toEqual([1, 2, 3, 4, 5, 6].map((n) => `${file}#${n}`));
  });

  it("undoes mboxrd quoting: one '>' less on every >+From line", async () => {
    const file = path.join(dir, "rd.mbox");
    await writeFile(file, mail(1, ">From here\n>>From there\n> From not quoted\nFrom-less"));
    const [m] = await all([file]);
    const body = m!.raw.toString().split("\n\n").slice(1).join("\n\n");
    expect(body).toBe("From here\n>From there\n> From not quoted\nFrom-less\n");
  });

  it("mboxo: only >From is unquoted (>>From stays)", () => {
    const raw = Buffer.from("Subject: x\n\n>From a\n>>From b\n");
    expect(unquoteFrom(raw, "mboxo").toString()).toBe("Subject: x\n\nFrom a\n>>From b\n");
    expect(unquoteFrom(raw, "mboxrd").toString()).toBe("Subject: x\n\nFrom a\n>From b\n");
  });

  it("tolerates CRLF line ends (separators, blank lines, quoting)", async () => {
    const file = path.join(dir, "crlf.mbox");
    const crlf = (s: string): string => s.replace(/\n/g, "\r\n");
    await writeFile(file, crlf(mail(1, ">From quoted\nend one") + "\n" + mail(2, "end two") + "\n"));
    const got = await all([file]);
    expect(got.map((m) => scanHeaders(m.raw).msgid)).toEqual(["m1@example.org", "m2@example.org"]);
    expect(got[0]!.raw.toString()).toMatch(/\r\n\r\nFrom quoted\r\nend one\r\n$/);
    expect(got[1]!.raw.toString()).toMatch(/\r\n\r\nend two\r\n$/);
  });

  it("the splitter gives the same messages whatever the chunk boundaries", () => {
    const text = Buffer.from(mail(1, "a\n>From b") + "\n" + mail(2, "c\r\n") + "\n" + mail(3, "d"));
    const whole = new MboxSplitter();
    const expected = [...whole.push(text), ...whole.end()].map((p) => ("raw" in p ? p.raw.toString() : ""));
    expect(expected).toHaveLength(3);
    for (let size = 1; size <= 17; size++) {
      const s = new MboxSplitter();
      const got: string[] = [];
      for (let i = 0; i < text.length; i += size) for (const p of s.push(text.subarray(i, i + size))) got.push("raw" in p ? p.raw.toString() : "");
      for (const p of s.end()) got.push("raw" in p ? p.raw.toString() : "");
      expect(got, `chunk size ${size}`).toEqual(expected);
    }
  });

  it("an oversize message is counted, not kept, and reported with its index; the next one is read", async () => {
    const file = path.join(dir, "over.mbox");
    await writeFile(file, mail(1, "y".repeat(300_000)) + "\n" + mail(2, "small"));
    const items = [];
    for await (const it of readMailItems([file], { maxMessageBytes: 100_000, chunkBytes: 8192 })) items.push(it);
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({ error: { source: `${file}#1`, message: expect.stringMatching(/^message is 3000\d\d bytes, over the limit of 100000/) } });
    expect("raw" in items[1]! && scanHeaders(items[1].raw).msgid).toBe("m2@example.org");
  });
});
