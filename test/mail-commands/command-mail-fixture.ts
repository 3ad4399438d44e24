import { generateKeyPairSync } from "node:crypto";
import { simpleParser, type AddressObject } from "mailparser";
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import type { DnsResolver } from "../../src/mail-commands/io/verify-dkim.js";
import type { Address, MailMessage } from "../../src/mail/mail-message.js";

/** A test DKIM key for `domain`, published only through the returned resolver (no real DNS). */
export function testDkimKey(domain: string, selector = "test2026"): { privateKeyPem: string; resolver: DnsResolver; lookups: string[] } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const p = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const lookups: string[] = [];
  const resolver: DnsResolver = async (name, rrtype) => {
    lookups.push(`${rrtype} ${name}`);
    if (rrtype === "TXT" && name.toLowerCase() === `${selector}._domainkey.${domain}`) return [[`v=DKIM1; k=rsa; p=${p}`]];
    throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: "ENOTFOUND" });
  };
  return { privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), resolver, lookups };
}

export function commandMailRaw(o: { from: string; body: string; msgid: string; inReplyTo?: string; subject?: string; extraHeaders?: string[] }): string {
  return [
    `From: ${o.from}`,
    "To: linux-kernel@vger.kernel.org",
    "Cc: Author <author@example.org>",
    `Subject: ${o.subject ?? "Re: [PATCH v2 1/1] irqdomain: dispose mappings on remove"}`,
    "Date: Wed, 25 Nov 2026 12:00:00 +0000",
    `Message-ID: <${o.msgid}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`, `References: <${o.inReplyTo}>`] : []),
    ...(o.extraHeaders ?? []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    o.body,
  ].join("\r\n");
}

/** DKIM-sign a raw mail with mailauth's signer (d=domain, relaxed/relaxed). */
export async function signMail(raw: string, domain: string, privateKeyPem: string, selector = "test2026"): Promise<string> {
  const opts = { canonicalization: "relaxed/relaxed", signatureData: [{ signingDomain: domain, selector, privateKey: privateKeyPem }] };
  const res = await dkimSign(raw, opts as never);
  if (res.errors?.length) throw new Error(`signing failed: ${String(res.errors[0])}`);
  return res.signatures + raw;
}

const addrs = (o: AddressObject | AddressObject[] | undefined): Address[] =>
  [o ?? []].flat().flatMap((x) => x.value.map((v) => ({ name: v.name ?? "", address: v.address ?? "" })));

/** Parse a raw mail into the MailMessage shape (what ingest gives the daemon), with mailparser. */
export async function toMailMessage(raw: Buffer): Promise<MailMessage> {
  const p = await simpleParser(raw);
  const headers: Record<string, string[]> = {};
  for (const l of p.headerLines) (headers[l.key] ??= []).push(l.line.slice(l.line.indexOf(":") + 1).replace(/\r?\n\s+/g, " ").trim());
  const strip = (s: string) => s.replace(/^<|>$/g, "");
  const refs = p.references === undefined ? [] : [p.references].flat();
  return {
    msgid: strip(p.messageId ?? "x@invalid"),
    msgidSynthetic: false,
    inReplyTo: p.inReplyTo ? strip(p.inReplyTo) : null,
    references: refs.map(strip),
    subject: p.subject ?? "",
    from: addrs(p.from)[0] ?? null,
    to: addrs(p.to),
    cc: addrs(p.cc),
    date: p.date ?? null,
    headers,
    text: p.text ?? "",
    attachments: [],
    source: "test",
    raw,
  };
}
