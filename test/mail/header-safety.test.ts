import { describe, expect, it } from "vitest";
import { addressProblem, cleanText, msgIdProblem } from "../../src/mail/header-safety.js";
import { parseMessage } from "../../src/mail/parse-message.js";
import { ingestOne } from "../../src/mail/io/ingest.js";

const b = (s: string): string => `=?UTF-8?B?${Buffer.from(s).toString("base64")}?=`;

describe("header safety rules", () => {
  it("msg-id: RFC 5322 dot-atom or literal on the right, at most 250 characters", () => {
    for (const ok of ["a@b", "20201109094646.71565-1-aik@ozlabs.ru", "CAHk-=wh+x@mail.gmail.com", "x@[127.0.0.1]", `${"a".repeat(248)}@b`]) expect(msgIdProblem(ok), ok).toBeNull();
    for (const bad of ["a b@c", "a@b c", "a", "a..b@c", "@c", "a@", "a@b\r\nBcc: x", "a\u0000@b", `${"a".repeat(249)}@b`, "=?UTF-8?B?PGE+?="]) expect(msgIdProblem(bad), bad).not.toBeNull();
  });

  it("addresses: plain addr-specs only", () => {
    for (const ok of ["a@b.org", "first.last+tag@sub.example.co.uk", "x@localhost", "jörg@xn--jrg-hoa.example".replace("jörg", "joerg"), "a@bücher.example"]) expect(addressProblem(ok), ok).toBeNull();
    for (const bad of ["a b@c.org", "a@b c.org", "a@b\r\n.org", `${"l".repeat(65)}@x.org`, `a@${"d".repeat(260)}.org`, "a", "@b.org", "a@", "\"q\"@b.org", "a@-b.org"]) expect(addressProblem(bad), bad).not.toBeNull();
  });

  it("text: CR, LF, NUL, controls and line separators become U+FFFD, TAB a space", () => {
    expect(cleanText("a\r\nb\u0000c\u001bd\u2028e\u0085f\tg")).toEqual({ text: "a\ufffd\ufffdb\ufffdc\ufffdd\ufffde\ufffdf g", replaced: 6 });
    expect(cleanText("plain Ünïcode")).toEqual({ text: "plain Ünïcode", replaced: 0 });
  });
});

describe("parsing applies them, both engines, single part and multipart", () => {
  const mail = (headers: string[], multipart: boolean): Buffer =>
    Buffer.from(
      [...headers, "MIME-Version: 1.0", multipart ? 'Content-Type: multipart/mixed; boundary="B"' : "Content-Type: text/plain", "", ...(multipart ? ["--B", "Content-Type: text/plain", "", "hi", "--B--", ""] : ["hi", ""])].join("\r\n"),
    );
  const hostile = [
    "From: " + b("Eve\r\nBcc: attacker@evil.example") + " <eve@example.org>",
    "To: linux-kernel@vger.kernel.org",
    "Cc: " + b("attacker@evil.example") + ", Ok <ok@example.org>",
    "Subject: " + b("[PATCH] x\r\nBcc: attacker@evil.example"),
    "Message-ID: <good@example.org>",
    "In-Reply-To: " + b("<p@x>\r\nBcc: attacker@evil.example"),
    "References: <r@x> " + b("<s@x>\r\nReply-To: attacker@evil.example") + " <t@x>",
  ];
  for (const multipart of [false, true]) {
    for (const engine of ["mailparser", "auto"] as const) {
      it(`${multipart ? "multipart" : "single part"}, engine ${engine}: no CR/LF survives, ids are not decoded, every change is recorded`, async () => {
        const m = await parseMessage(mail(hostile, multipart), "t", { engine });
        expect(m.msgid).toBe("good@example.org");
        expect(m.subject).toBe("[PATCH] x\ufffd\ufffdBcc: attacker@evil.example");
        expect(m.from).toEqual({ name: "Eve\ufffd\ufffdBcc: attacker@evil.example", address: "eve@example.org" });
        for (const id of [m.inReplyTo ?? "", ...m.references]) expect(id).not.toMatch(/[\r\n]/);
        expect(m.references[0]).toBe("r@x");
        expect(m.references.at(-1)).toBe("t@x");
        expect(JSON.stringify([m.subject, m.from, m.to, m.cc])).not.toMatch(/\\r|\\n/);
        expect(m.problems?.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Subject holds CR, LF after decoding/), expect.stringMatching(/^From: display name of eve@example\.org holds CR, LF/)]));
      });
    }
  }

  it("a Message-ID that is an encoded word stays undecoded, and a NUL drops it (a synthesized id is used)", async () => {
    const enc = await parseMessage(mail(["From: a@b.org", "Subject: x", "Message-ID: " + b("<a@b>\r\nBcc: x@y")], true), "t", { engine: "auto" });
    expect(enc.msgid).toMatch(/^=\?UTF-8\?B\?/);
    const nul = await ingestOne(Buffer.concat([Buffer.from("From: a@b.org\r\nSubject: x\r\nMessage-ID: <a\u0000@b>\r\n\r\nhi\r\n", "latin1")]), "t");
    const msg = nul[0] as { msgid: string; msgidSynthetic: boolean };
    expect(msg.msgidSynthetic).toBe(true);
    expect(nul.slice(1).map((i) => ("error" in i ? i.error.message : ""))).toEqual([expect.stringMatching(/^Message-ID "a\\u0000@b" holds NUL: dropped$/), expect.stringMatching(/^no Message-ID header/)]);
  });
});
