import { mkdtemp, rm, readdir, open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BAD_PATCH_FIXTURES } from "../support/bad-patch-fixtures.js";
import { ingest, type IngestItem } from "../../src/mail/io/ingest.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { checkPatchSafety } from "../../src/patch/check-patch-safety.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const badDir = path.join(root, "fixtures/mail/bad");

async function collect(paths: string[], opts = {}): Promise<IngestItem[]> {
  const out: IngestItem[] = [];
  for await (const item of ingest(paths, opts)) out.push(item);
  return out;
}
const isMsg = (i: IngestItem): i is MailMessage => !("error" in i);
const errorsFor = (items: IngestItem[], file: string): string[] =>
  items.flatMap((i) => ("error" in i && i.error.source.endsWith(file) ? [i.error.message] : []));
const msgFor = (items: IngestItem[], file: string): MailMessage | undefined => items.filter(isMsg).find((m) => m.source.endsWith(file));

describe("bad input fixtures (fixtures/mail/bad)", () => {
  let items: IngestItem[] = [];
  beforeAll(async () => {
    items = await collect([badDir]);
  });

  it("yields one message per fixture mail, in name order, and skips the README", async () => {
    const mails = (await readdir(badDir)).filter((f) => f.endsWith(".eml")).sort();
    expect(items.filter(isMsg).map((m) => path.basename(m.source))).toEqual(mails);
    expect(items.some((i) => ("error" in i ? i.error.source : i.source).endsWith("README.md"))).toBe(false);
  });

  it("truncated MIME: records the missing closing boundary and the cut base64, keeps the text", () => {
    const errs = errorsFor(items, "01-truncated-mime.eml");
    expect(errs.some((e) => /no closing "--=-cut-here--" line: truncated MIME/.test(e))).toBe(true);
    expect(errs.some((e) => /base64 .*truncated/.test(e))).toBe(true);
    const m = msgFor(items, "01-truncated-mime.eml")!;
    expect(m.text).toContain("cut off in transit");
    expect(m.attachments[0]?.contentType).toBe("text/x-patch");
    expect(m.attachments[0]?.text).toMatch(/^diff --git a\/kernel\/irq\/irqdomain.c/);
  });

  it("no Message-ID: synthesized id, flagged, with a recorded error", () => {
    const m = msgFor(items, "02-no-message-id.eml")!;
    expect(m.msgidSynthetic).toBe(true);
    expect(m.msgid).toMatch(/^irqtriage-[0-9a-f]{40}@invalid$/);
    expect(errorsFor(items, "02-no-message-id.eml")).toEqual([`no Message-ID header; using synthesized <${m.msgid}>`]);
  });

  it("invalid charset: a warning, and the 8-bit bytes decoded as latin1 (nothing lost)", () => {
    const errs = errorsFor(items, "03-invalid-charset.eml");
    expect(errs).toEqual([expect.stringMatching(/^warning: .*unknown charset "x-unknown-foo"; decoded as latin1/)]);
    const m = msgFor(items, "03-invalid-charset.eml")!;
    expect(m.text).toContain("Café naïve résumé");
    expect(m.text).toContain("+\tirq_dispose_mapping(virq); /* naïve */\n");
  });

  it("hostile patches are yielded as messages with their raw bytes, and check-patch-safety refuses each", () => {
    const expected = BAD_PATCH_FIXTURES;
    for (const [file, kind] of Object.entries(expected)) {
      const m = msgFor(items, file)!;
      expect(m.bodyParsed, file).toBe(true);
      expect(m.raw, file).not.toBeNull();
      expect(errorsFor(items, file), file).toEqual([]);
      const kinds = checkPatchSafety(m.text, { maxPatchBytes: 1 << 20 }).map((p) => p.kind);
      expect(kinds, file).toContain(kind);
    }
  });

  it("lying hunk counts: the message is yielded intact for the patch stage", () => {
    const m = msgFor(items, "04-lying-hunk.eml")!;
    expect(m.text).toContain("@@ -10,40 +10,41 @@ static int irq_domain_alloc(void)\n");
    expect(m.raw).not.toBeNull();
  });

  it("the good mail after all the bad ones is processed normally", () => {
    const m = msgFor(items, "99-good-after-bad.eml")!;
    expect(m.msgid).toBe("good-after-bad@example.org");
    expect(m.text).toContain("+\tvirq = -1;\n");
    expect(errorsFor(items, "99-good-after-bad.eml")).toEqual([]);
  });
});

describe("a 50 MB attachment (generated, never committed)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-big-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeBigMail(file: string, mboxLine: string | null): Promise<void> {
    const fh = await open(file, "w");
    const head =
      (mboxLine ? `${mboxLine}\n` : "") +
      "From: Big <big@example.org>\nSubject: [PATCH] huge attachment\nMessage-ID: <big@example.org>\nMIME-Version: 1.0\n" +
      'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n';
    await fh.write(head);
    const line = Buffer.from("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n".repeat(13000));
    for (let written = 0; written < 50 * 1024 * 1024; written += line.length) await fh.write(line);
    await fh.write("--b--\n");
    await fh.close();
  }

  it("as a single .eml: refused with a recorded error, the next path is still processed", async () => {
    const big = path.join(dir, "big.eml");
    await writeBigMail(big, null);
    const items = await collect([big, path.join(badDir, "99-good-after-bad.eml")]);
    expect(items[0]).toEqual({ error: { source: big, message: expect.stringMatching(/over the limit of 41943040 \(limits.maxMessageBytes\); not parsed/) } });
    expect(items.filter(isMsg).map((m) => m.msgid)).toEqual(["good-after-bad@example.org"]);
  });

  it("inside an mbox: skipped while streaming (not held in memory), the following message is read", async () => {
    const mbox = path.join(dir, "big.mbox");
    await writeBigMail(mbox, "From big@example.org Tue Nov 24 06:17:20 2020");
    const fh = await open(mbox, "a");
    await fh.write("\nFrom small@example.org Tue Nov 24 06:18:00 2020\nFrom: Small <small@example.org>\nSubject: small\nMessage-ID: <small@example.org>\n\nhello\n");
    await fh.close();
    const items = await collect([mbox], { maxMessageBytes: 1024 * 1024 });
    expect(items).toEqual([
      { error: { source: `${mbox}#1`, message: expect.stringMatching(/^message is \d+ bytes, over the limit of 1048576/) } },
      expect.objectContaining({ msgid: "small@example.org", source: `${mbox}#2` }),
    ]);
  });

  it("a message over the limit given as bytes (IMAP path) is refused too", async () => {
    const { ingestOne } = await import("../../src/mail/io/ingest.js");
    const raw = Buffer.concat([Buffer.from("Message-ID: <x@y>\nSubject: big\n\n"), Buffer.alloc(5000, 0x41)]);
    expect(await ingestOne(raw, "imap://h/INBOX;UID=1", { maxMessageBytes: 4096 })).toEqual([
      { error: { source: "imap://h/INBOX;UID=1", message: expect.stringMatching(/over the limit of 4096/) } },
    ]);
  });
});
