import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../../src/mail/parse-message.js";
import { scanHeaders } from "../../src/mail/header-scan.js";
import { undoFlowed } from "../../src/mail/mime/undo-flowed.js";

const PATCH =
  "genirq: keep the mapping\n\nSigned-off-by: A <a@example.org>\n---\n" +
  "diff --git a/kernel/irq/irqdomain.c b/kernel/irq/irqdomain.c\nindex 1111111..2222222 100644\n" +
  "--- a/kernel/irq/irqdomain.c\n+++ b/kernel/irq/irqdomain.c\n@@ -1,4 +1,4 @@\n" +
  " \tint virq;   \n-\tvirq = irq_find_mapping(d, hw);\t\n+\tvirq = irq_create_mapping(d, hw); /* a deliberately long line that a mailer would love to wrap at seventy-two columns */\n \n" +
  "-- \n2.39.5\n";

const mail = (headers: string, body: string | Buffer): Buffer =>
  Buffer.concat([Buffer.from(`From: A <a@example.org>\nSubject: [PATCH] genirq: keep the mapping\nMessage-ID: <p@example.org>\n${headers}\n`), Buffer.from(body)]);

const both = async (raw: Buffer) => [await parseMessage(raw, "t"), await parseMessage(raw, "t", { engine: "auto" })];

describe("text/plain body keeps its exact bytes", () => {
  it("7bit/8bit: tabs, trailing spaces, blank context lines and long lines unchanged", async () => {
    for (const m of await both(mail("Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n", PATCH))) {
      expect(m.text).toBe(PATCH);
      expect(m.problems).toBeUndefined();
    }
  });

  it("CRLF transport line ends become LF, nothing else changes", async () => {
    const raw = Buffer.from(mail("Content-Type: text/plain\n", PATCH).toString().replace(/\n/g, "\r\n"));
    for (const m of await both(raw)) expect(m.text).toBe(PATCH);
  });

  it("quoted-printable patch decodes exactly (=20, =09, soft breaks, =3D)", async () => {
    const qp = PATCH.replace(/=/g, "=3D")
      .replace(/ $/gm, "=20")
      .replace(/\t$/gm, "=09")
      .replace(/^(.{60})(.{10,})$/gm, "$1=\n$2");
    expect(qp).toContain("=\n"); // the encoding really wrapped something
    for (const m of await both(mail("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n", qp))) {
      expect(m.text).toBe(PATCH);
    }
  });

  it("base64 patch decodes exactly, also UTF-8 beyond ASCII", async () => {
    const text = PATCH.replace("keep the mapping", "keep the mapping — Cédric");
    const b64 = Buffer.from(text).toString("base64").replace(/(.{76})/g, "$1\n");
    for (const m of await both(mail("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n", b64))) {
      expect(m.text).toBe(text);
    }
  });

  it("format=flowed is undone only where declared; delsp=yes honoured", async () => {
    const body = "A soft \nbreak and\n> quoted soft \n> line\n-- \nsig\n";
    const [plain] = await both(mail("Content-Type: text/plain; charset=utf-8\n", body));
    expect(plain!.text).toBe(body);
    const [flowed] = await both(mail("Content-Type: text/plain; charset=utf-8; format=flowed\n", body));
    expect(flowed!.text).toBe("A soft break and\n> quoted soft line\n-- \nsig\n");
    const [delsp] = await both(mail("Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n", body));
    expect(delsp!.text).toBe("A softbreak and\n> quoted softline\n-- \nsig\n");
    expect(undoFlowed(" From stuffed\n", false)).toBe("From stuffed\n");
  });

  it("mailparser itself would lose the last line end of flowed text (why we compute text ourselves)", async () => {
    const raw = mail("Content-Type: text/plain; charset=utf-8; format=flowed\n", "soft \nbreak\n");
    expect((await simpleParser(raw)).text).toBe("soft break");
    expect((await parseMessage(raw, "t")).text).toBe("soft break\n");
  });
});

describe("attachments", () => {
  const multipart = (disp: string, ctype: string, enc: string, payload: string): Buffer =>
    mail(
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XX"\n',
      `preamble\n--XX\nContent-Type: text/plain; charset=us-ascii\n\nSee the attached patch.\n\n--XX\nContent-Type: ${ctype}\n${disp}${enc}\n${payload}\n--XX--\nepilogue\n`,
    );

  it("text/x-patch (base64) attachment is kept as exact text", async () => {
    const raw = multipart('Content-Disposition: attachment; filename="0001-keep.patch"\n', "text/x-patch; charset=utf-8", "Content-Transfer-Encoding: base64\n", Buffer.from(PATCH).toString("base64"));
    const m = await parseMessage(raw, "t", { keepRaw: true });
    expect(m.text).toBe("See the attached patch.\n");
    expect(m.attachments).toEqual([{ filename: "0001-keep.patch", contentType: "text/x-patch", size: Buffer.byteLength(PATCH), text: PATCH }]);
    expect(m.raw?.equals(raw)).toBe(true); // may carry a patch: raw kept (a copy) for git am
    expect(m.problems).toBeUndefined();
    expect(scanHeaders(raw).needsFullParse).toBe(true);
  });

  it("inline text/x-diff is an attachment with text; binary attachments have text null", async () => {
    const raw = multipart("Content-Disposition: inline\n", "text/x-diff", "", PATCH);
    const m = await parseMessage(raw, "t");
    expect(m.attachments[0]).toMatchObject({ contentType: "text/x-diff", text: PATCH });
    const bin = multipart('Content-Disposition: attachment; filename="x.bin"\n', "application/octet-stream", "Content-Transfer-Encoding: base64\n", "AAECAw==");
    expect((await parseMessage(bin, "t")).attachments).toEqual([{ filename: "x.bin", contentType: "application/octet-stream", size: 4, text: null }]);
  });

  it("raw is not kept for a reply without a diff, even with keepRaw", async () => {
    const raw = Buffer.from("From: B <b@example.org>\nSubject: Re: [PATCH] x\nMessage-ID: <r@example.org>\n\n> quoted\nReviewed-by: B <b@example.org>\n");
    const m = await parseMessage(raw, "t", { keepRaw: true });
    expect(m.raw).toBeNull();
  });
});

describe("headers", () => {
  it("RFC 2047 words, folded subjects and ids without brackets", async () => {
    const raw = Buffer.from(
      "From: =?UTF-8?q?C=C3=A9dric?= =?UTF-8?q?_Le_Goater?= <clg@kaod.org>\nSubject: Re: [PATCH v2 1/3]\n genirq: =?ISO-8859-1?Q?f=F6o?=\nMessage-ID:\n <id1@x>\nIn-Reply-To: <id0@x> (message from someone)\nReferences: <a@x>\n\t<b@x> <id0@x>\nDate: Mon,  9 Nov 2020 20:46:46 +1100 (AEDT)\n\nbody\n",
    );
    const s = scanHeaders(raw);
    expect(s).toMatchObject({ msgid: "id1@x", inReplyTo: "id0@x", references: ["a@x", "b@x", "id0@x"], subject: "Re: [PATCH v2 1/3] genirq: föo" });
    expect(s.from).toEqual({ name: "Cédric Le Goater", address: "clg@kaod.org" });
    expect(s.date?.toISOString()).toBe("2020-11-09T09:46:46.000Z");
    const mp = await simpleParser(raw);
    expect(s.subject).toBe(mp.subject);
    expect(s.from?.name).toBe(mp.from?.value[0]?.name);
  });

  it("hostile header names cannot reach the prototype; trace headers stay out of `headers`", async () => {
    const raw = Buffer.from("Received: from a by b\n__proto__: polluted\nconstructor: x\nMessage-ID: <h@x>\nSubject: s\n\nbody\n");
    const m = await parseMessage(raw, "t");
    expect(Object.getPrototypeOf(m.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(m.headers, "__proto__")?.value).toEqual(["polluted"]);
    expect(m.headers["constructor"]).toEqual(["x"]);
    expect(m.headers["received"]).toBeUndefined();
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});
