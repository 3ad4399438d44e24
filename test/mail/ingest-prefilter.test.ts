import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanHeaders, parseAddresses, mailparserAddresses } from "../../src/mail/header-scan.js";
import { ingest, type IngestItem } from "../../src/mail/io/ingest.js";
import { parseMessage } from "../../src/mail/parse-message.js";
import { readMail } from "../../src/mail/io/read-mail.js";
import type { MailMessage } from "../../src/mail/mail-message.js";
import { generateLkmlMbox } from "../../src/bench/generate-lkml-mbox.js";

const m = (subject: string, body: string, extra = ""): Buffer =>
  Buffer.from(`From: A <a@example.org>\nSubject: ${subject}\nMessage-ID: <x@example.org>\n${extra}\n${body}`);

describe("header prefilter: which mails need a full parse", () => {
  it.each([
    ["[PATCH v3 2/7] genirq: x", "text", "subject tag"],
    ["Re: [RFC PATCH kernel 0/2] x", "text", "subject tag"],
    ["[GIT PULL] irq fixes", "text", "subject tag"],
    ["[net-next PATCH] x", "text", "subject tag"],
    ["plain question", "see\ndiff --git a/x b/x\n", "diff"],
    ["plain question", "--- a/x\n+++ b/x\n", "diff"],
    ["plain question", "thanks\n\nReviewed-by: B <b@example.org>\n", "trailer"],
    ["plain question", "> Acked-by: B <b@example.org>\n", "trailer"],
    ["plain question", "x\nFixes: 123456789abc (\"y\")\n", "trailer"],
    ["plain question", "x\nbase-commit: 0123abcd\n", "diff"],
  ])("%s / %j -> %s", (subject, body, reason) => {
    const s = scanHeaders(m(subject, body));
    expect(s.needsFullParse).toBe(true);
    expect(s.reason).toBe(reason);
  });

  it.each([
    ["Re: scheduler latency question", "I saw it go by\nOn Mon wrote:\n> text\n"],
    ["[ANNOUNCE] v6.1-rt", "hello, reported-by is mentioned but not as a trailer\n"],
    ["Patching the kernel", "the word patch alone is not a tag\n"],
    ["news", "Standby: no trailer\n"],
  ])("%s -> header-only", (subject, body) => {
    expect(scanHeaders(m(subject, body)).needsFullParse).toBe(false);
  });

  it("looks inside a base64 single part and at multipart patch attachments", () => {
    const b64 = Buffer.from("see\ndiff --git a/x b/x\n").toString("base64");
    expect(scanHeaders(m("q", b64 + "\n", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n")).reason).toBe("diff");
    const mp = 'Content-Type: multipart/mixed; boundary="b"\n';
    expect(scanHeaders(m("q", "--b\nContent-Type: TEXT/X-PATCH\n\nx\n--b--\n", mp)).reason).toBe("patch attachment");
    expect(scanHeaders(m("q", "--b\nContent-Type: text/plain\n\nhello\n--b--\n", mp)).needsFullParse).toBe(false);
  });
});

describe("address parsing fast path agrees with mailparser's parser", () => {
  it.each([
    "Thomas Gleixner <tglx@linutronix.de>",
    'linux-kernel@vger.kernel.org, "Le Goater, Cedric" <clg@kaod.org>,\n Rob Herring <robh@kernel.org>',
    "=?UTF-8?q?C=C3=A9dric=20Le=20Goater?= <clg@kaod.org>, =?UTF-8?q?Michal=20Such=C3=A1nek?= <msuchanek@suse.de>",
    "<bare@example.org>",
    "Marc Zyngier <maz@kernel.org>, ,",
  ])("%s", (value) => {
    expect(parseAddresses(value)).toEqual(mailparserAddresses(value));
  });

  it("hands tricky shapes to mailparser (groups, comments)", () => {
    expect(parseAddresses("undisclosed-recipients:;")).toEqual(mailparserAddresses("undisclosed-recipients:;"));
    expect(parseAddresses("a@b.c (Comment Name)")).toEqual(mailparserAddresses("a@b.c (Comment Name)"));
  });
});

describe("ingest on a generated LKML-like mbox (600 messages)", () => {
  let dir = "";
  let mbox = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-prefilter-"));
    mbox = path.join(dir, "lkml.mbox");
    await generateLkmlMbox(mbox, { messages: 600, seed: 7 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the fast path gives the same messages as mailparser for every message", async () => {
    for await (const raw of readMail([mbox])) {
      const a = await parseMessage(raw.raw, raw.source, { keepRaw: true });
      const b = await parseMessage(raw.raw, raw.source, { keepRaw: true, engine: "auto" });
      expect(b, raw.source).toEqual(a);
    }
  });

  it("header-only messages lose nothing a full parse would find: no patch, trailer or diff quote in them", async () => {
    const light: MailMessage[] = [];
    const items: IngestItem[] = [];
    for await (const it of ingest([mbox])) items.push(it);
    for (const it of items) if (!("error" in it) && it.bodyParsed === false) light.push(it);
    expect(items.filter((i) => "error" in i)).toEqual([]);
    expect(items).toHaveLength(600);
    expect(light.length).toBeGreaterThan(100);
    const bySource = new Map<string, Buffer>();
    for await (const r of readMail([mbox])) bySource.set(r.source, r.raw);
    for (const l of light) {
      expect(l.text).toBe("");
      const full = await parseMessage(bySource.get(l.source)!, l.source);
      expect(full.text, l.source).not.toMatch(/^(?:> ?)*(?:diff --git |\+\+\+ |[A-Za-z-]+-by: |Fixes: )/m);
      expect(full.subject).not.toMatch(/\[[^\]]*PATCH/);
      expect({ ...l, bodyParsed: true, text: full.text, attachments: full.attachments, headers: full.headers }).toEqual(full);
    }
  });

  it("yields every duplicate of a Message-ID (threading dedups), keeping both sources", async () => {
    const dup = path.join(dir, "dup.mbox");
    const { writeFile } = await import("node:fs/promises");
    const one = "From a@example.org Mon Nov  9 20:46:46 2020\nFrom: A <a@example.org>\nSubject: [PATCH] x\nMessage-ID: <same@example.org>\n\ndiff --git a/x b/x\n\n";
    await writeFile(dup, one + one);
    const got: IngestItem[] = [];
    for await (const it of ingest([dup])) got.push(it);
    expect(got.map((g) => ("error" in g ? "error" : `${g.msgid} ${g.source}`))).toEqual([`same@example.org ${dup}#1`, `same@example.org ${dup}#2`]);
  });
});
