import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** What was written, for the benchmark printout. */
export interface GeneratedMbox {
  messages: number;
  bytes: number;
  patches: number;
  patchReplies: number;
  multipart: number;
  quotedPrintable: number;
  base64: number;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The mbox "From " line date: asctime() shape, "Mon Nov  9 20:46:46 2020". */
function asctime(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Thomas", "Marc", "Alexey", "Cédric", "Greg", "Linus", "Rob", "Frederic", "Michal", "Qian", "Bjorn", "Arnd", "Jason", "Mark", "Lorenzo", "Will", "Catalin", "Andy", "Jonathan", "Krzysztof"];
const LAST = ["Gleixner", "Zyngier", "Kardashevskiy", "Le Goater", "Kroah-Hartman", "Torvalds", "Herring", "Barrat", "Suchánek", "Cai", "Helgaas", "Bergmann", "Donenfeld", "Brown", "Pieralisi", "Deacon", "Marinas", "Shevchenko", "Cameron", "Kozlowski"];
const DOMAINS = ["kernel.org", "linutronix.de", "ozlabs.ru", "kaod.org", "linuxfoundation.org", "linux.ibm.com", "suse.de", "lca.pw", "google.com", "arm.com", "intel.com", "redhat.com"];
const SUBSYS = ["genirq", "irqdomain", "irqchip/gic-v3", "PCI: dwc", "gpio: pca953x", "mfd: syscon", "net: stmmac", "drm/amdgpu", "mm", "sched/fair", "x86/apic", "arm64: dts", "iommu/vt-d", "usb: dwc3"];
const VERBS = ["Fix", "Add", "Remove", "Rework", "Use", "Drop", "Convert", "Handle", "Avoid", "Introduce"];
const NOUNS = ["reference counting", "mapping leak", "error path", "irq_dispose_mapping() in remove", "hierarchy allocation", "locking in probe", "stale descriptor", "domain lookup", "race on unbind", "missing of_node_put()"];
const FILES = ["kernel/irq/irqdomain.c", "kernel/irq/irqdesc.c", "drivers/irqchip/irq-gic-v3.c", "drivers/pci/controller/dwc/pcie-designware-host.c", "drivers/gpio/gpio-pca953x.c", "drivers/net/ethernet/stmicro/stmmac/stmmac_main.c", "mm/page_alloc.c", "include/linux/irqdomain.h", "arch/x86/kernel/apic/vector.c"];
const WORDS = "the a of to in is that it for on with as be this by are we not can but if which when from or will at have should driver interrupt mapping domain device patch change code kernel would value case path probe remove call error return pointer lock".split(" ");
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

interface Posted {
  msgid: string;
  subject: string;
  refs: string[];
  body: string;
  isPatch: boolean;
}

/**
 * Writes an LKML-like mbox (mboxrd) of `messages` messages, deterministic for a seed: real header
 * shapes (Received chains, DKIM-Signature, ARC, List-*), threads with In-Reply-To / References,
 * ~5% patches (git send-email shape: commit message, trailers, diffstat, diff --git hunks with
 * tabs), replies that quote them with review trailers, plain discussion, some quoted-printable,
 * base64 and multipart (signed, patch attachments), and ">From " quoted body lines.
 */
export async function generateLkmlMbox(file: string, opts: { messages: number; seed?: number }): Promise<GeneratedMbox> {
  const rnd = prng(opts.seed ?? 20201109);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const words = (n: number): string => {
    let s = "";
    for (let i = 0; i < n; i++) s += (i ? " " : "") + pick(WORDS);
    return s;
  };
  const paragraph = (lines: number): string => {
    let s = "";
    for (let i = 0; i < lines; i++) s += words(int(8, 12)) + "\n";
    return s;
  };
  const b64 = (n: number): string => {
    let s = "";
    for (let i = 0; i < n; i++) s += B64[Math.floor(rnd() * 64)];
    return s;
  };
  const person = (): { name: string; addr: string } => {
    const f = pick(FIRST);
    const l = pick(LAST);
    return { name: `${f} ${l}`, addr: `${f.toLowerCase().replace(/[^a-z]/g, "")}@${pick(DOMAINS)}` };
  };
  const encName = (name: string): string => (/[^\x20-\x7e]/.test(name) ? `=?UTF-8?q?${[...Buffer.from(name, "utf8")].map((b) => (b > 0x7e || b === 0x20 || b === 0x3d || b === 0x3f || b === 0x5f ? "=" + b.toString(16).toUpperCase().padStart(2, "0") : String.fromCharCode(b))).join("")}?=` : name);

  const stats: GeneratedMbox = { messages: 0, bytes: 0, patches: 0, patchReplies: 0, multipart: 0, quotedPrintable: 0, base64: 0 };
  const out = createWriteStream(file);
  let pending: string[] = [];
  let pendingLen = 0;
  const flush = async (): Promise<void> => {
    if (!pendingLen) return;
    const buf = Buffer.from(pending.join(""), "utf8");
    pending = [];
    pendingLen = 0;
    stats.bytes += buf.length;
    if (!out.write(buf)) await once(out, "drain");
  };

  const recent: Posted[] = [];
  const recentPatches: Posted[] = [];
  let t = Date.UTC(2020, 9, 1, 8, 0, 0);
  let serial = 0;

  const diff = (): string => {
    let s = "";
    const nfiles = int(1, 3);
    for (let f = 0; f < nfiles; f++) {
      const path = pick(FILES);
      s += `diff --git a/${path} b/${path}\nindex ${b64(7).toLowerCase().replace(/[^0-9a-f]/g, "a")}..${b64(7).toLowerCase().replace(/[^0-9a-f]/g, "b")} 100644\n--- a/${path}\n+++ b/${path}\n`;
      const hunks = int(1, 3);
      let line = int(20, 900);
      for (let h = 0; h < hunks; h++) {
        const ctx1 = int(2, 3);
        const del = int(0, 4);
        const add = int(1, 6);
        const ctx2 = 3;
        s += `@@ -${line},${ctx1 + del + ctx2} +${line},${ctx1 + add + ctx2} @@ static int ${pick(["probe", "remove", "map", "alloc", "free"])}_${pick(["irq", "domain", "desc"])}(struct device *dev)\n`;
        for (let i = 0; i < ctx1; i++) s += ` \t${words(int(2, 5))};\n`;
        for (let i = 0; i < del; i++) s += `-\t${pick(["irq_dispose_mapping(virq);", "kfree(data);", "return -EINVAL;", "of_node_put(np);"])}\n`;
        for (let i = 0; i < add; i++) s += `+\t${pick(["virq = irq_create_mapping(domain, hwirq);", "if (!virq)", "\treturn -ENXIO;", "irq_domain_free_irqs(virq, 1);", "kobject_put(&desc->kobj); "])}\n`;
        for (let i = 0; i < ctx2; i++) s += ` \t${words(int(2, 5))};\n`;
        line += int(40, 200);
      }
    }
    return s;
  };

  for (let n = 0; n < opts.messages; n++) {
    t += int(1, 90) * 1000;
    serial++;
    const who = person();
    const date = new Date(t);
    const msgid = `${date.toISOString().replace(/\D/g, "").slice(0, 14)}.${serial}-${int(1, 9)}-${who.addr.split("@")[0]}@${who.addr.split("@")[1]}`;
    const r = rnd();
    let subject: string;
    let body: string;
    let refs: string[] = [];
    let isPatch = false;
    const parentPool = r < 0.25 && recentPatches.length ? recentPatches : recent;
    if (r < 0.05) {
      isPatch = true;
      stats.patches++;
      const total = int(1, 8);
      const idx = int(1, total);
      const v = int(1, 4);
      subject = `[PATCH${v > 1 ? ` v${v}` : ""}${total > 1 ? ` ${idx}/${total}` : ""}] ${pick(SUBSYS)}: ${pick(VERBS)} ${pick(NOUNS)}`;
      const a = person();
      body =
        paragraph(int(3, 8)) +
        "\n" +
        paragraph(int(2, 4)) +
        `\nFixes: ${b64(12).toLowerCase().replace(/[^0-9a-f]/g, "c")} ("${pick(SUBSYS)}: ${pick(NOUNS)}")\nSigned-off-by: ${who.name} <${who.addr}>\n` +
        (rnd() < 0.3 ? `Reviewed-by: ${a.name} <${a.addr}>\n` : "") +
        `---\n ${pick(FILES)} | ${int(2, 30)} ++++++++------\n 1 file changed, ${int(1, 20)} insertions(+), ${int(1, 10)} deletions(-)\n\n` +
        diff() +
        "-- \n2.39.5\n";
    } else if (r < 0.25 && parentPool.length) {
      const parent = pick(parentPool);
      refs = [...parent.refs.slice(-8), parent.msgid];
      subject = parent.subject.startsWith("Re: ") ? parent.subject : `Re: ${parent.subject}`;
      if (parent.isPatch) stats.patchReplies++;
      const quoted = parent.body
        .split("\n")
        .slice(0, int(6, 40))
        .map((l) => (l === "" ? ">" : `> ${l}`))
        .join("\n");
      body = `On ${date.toUTCString()}, ${who.name} wrote:\n${quoted}\n\n${paragraph(int(2, 8))}` + (rnd() < 0.3 ? `\nReviewed-by: ${who.name} <${who.addr}>\n` : "\nThanks,\n\n\tM.\n");
    } else if (r < 0.75 && recent.length) {
      const parent = pick(recent);
      refs = [...parent.refs.slice(-8), parent.msgid];
      subject = parent.subject.startsWith("Re: ") ? parent.subject : `Re: ${parent.subject}`;
      const quoted = parent.body
        .split("\n")
        .slice(0, int(3, 15))
        .map((l) => `> ${l}`)
        .join("\n");
      body = `On ${date.toUTCString()}, ${who.name} wrote:\n${quoted}\n\n${paragraph(int(3, 12))}\n-- \n${who.name}\n`;
    } else {
      subject = `${pick(SUBSYS)}: ${words(int(3, 7))}`;
      body = paragraph(int(4, 20)) + (rnd() < 0.1 ? "\n>From the logs it looks like a mapping leak.\n" : "\n") + paragraph(int(1, 5));
    }
    const posted: Posted = { msgid, subject, refs, body, isPatch };
    recent.push(posted);
    if (recent.length > 400) recent.shift();
    if (isPatch) {
      recentPatches.push(posted);
      if (recentPatches.length > 60) recentPatches.shift();
    }

    const cc: string[] = [];
    for (let i = int(0, 6); i > 0; i--) {
      const p = person();
      cc.push(`${encName(p.name)} <${p.addr}>`);
    }
    const dateHdr = date.toUTCString().replace("GMT", "+0000");
    const h =
      `From ${who.addr} ${asctime(date)}\n` +
      `Return-Path: <linux-kernel-owner@vger.kernel.org>\n` +
      `Received: from vger.kernel.org (vger.kernel.org [23.128.96.18])\n\tby smtp.lore.example (Postfix) with ESMTP id ${b64(10)}\n\tfor <list@lore.example>; ${dateHdr}\n` +
      `Received: (majordomo@vger.kernel.org) by vger.kernel.org via listexpand\n        id S${int(1000000, 9999999)}AbgKIJ (ORCPT <rfc822;linux-kernel@vger.kernel.org>);\n        ${dateHdr}\n` +
      `Received: from mail.${who.addr.split("@")[1]} ([${int(1, 254)}.${int(1, 254)}.${int(1, 254)}.${int(1, 254)}]:${int(1024, 65000)} "EHLO mail.${who.addr.split("@")[1]}")\n        by vger.kernel.org with ESMTP id S${int(1000000, 9999999)}AbgKIJ;\n        ${dateHdr}\n` +
      `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${who.addr.split("@")[1]};\n\ts=default; t=${Math.floor(t / 1000)}; bh=${b64(43)}=;\n\th=From:To:Cc:Subject:Date:From;\n\tb=${b64(60)}\n\t ${b64(60)}\n\t ${b64(60)}\n\t ${b64(60)}\n\t ${b64(104)}=\n` +
      `ARC-Seal: i=1; a=rsa-sha256; t=${Math.floor(t / 1000)}; cv=none; d=lore.example; s=arc;\n\tb=${b64(70)}\n\t ${b64(70)}=\n` +
      `X-Spam-Status: No, score=-4.${int(0, 9)} required=5.0 tests=BAYES_00,DKIM_SIGNED,DKIM_VALID\n` +
      `From: ${encName(who.name)} <${who.addr}>\n` +
      `To: linux-kernel@vger.kernel.org\n` +
      (cc.length ? `Cc: ${cc.join(",\n    ")}\n` : "") +
      `Subject: ${subject}\n` +
      `Date: ${dateHdr}\n` +
      `Message-ID: <${msgid}>\n` +
      (refs.length ? `In-Reply-To: <${refs[refs.length - 1]}>\nReferences: ${refs.map((x) => `<${x}>`).join("\n ")}\n` : "") +
      (isPatch ? "X-Mailer: git-send-email 2.39.5\n" : "User-Agent: Mutt/2.2.9 (2022-11-12)\n") +
      "MIME-Version: 1.0\n";
    const enc = rnd();
    let content: string;
    // body lines starting "From " must be quoted in an mbox; ">From " ones get one more ">"
    const mboxBody = (s: string): string => s.replace(/^(>*From )/gm, ">$1");
    if (enc < 0.03) {
      stats.multipart++;
      const boundary = `=-${b64(16)}`;
      if (isPatch) {
        content =
          `Content-Type: multipart/mixed; boundary="${boundary}"\n\n--${boundary}\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\n\n` +
          mboxBody(body.split("\ndiff --git")[0] ?? body) +
          `\n--${boundary}\nContent-Type: text/x-patch; charset=us-ascii\nContent-Disposition: attachment; filename="0001-fix.patch"\n\n` +
          mboxBody(body) +
          `\n--${boundary}--\n`;
      } else {
        content =
          `Content-Type: multipart/signed; micalg=pgp-sha256;\n\tprotocol="application/pgp-signature"; boundary="${boundary}"\nContent-Disposition: inline\n\n--${boundary}\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\n\n` +
          mboxBody(body) +
          `\n--${boundary}\nContent-Type: application/pgp-signature; name="signature.asc"\n\n-----BEGIN PGP SIGNATURE-----\n\n${b64(64)}\n${b64(64)}\n${b64(64)}\n=${b64(4)}\n-----END PGP SIGNATURE-----\n\n--${boundary}--\n`;
      }
    } else if (enc < 0.08) {
      stats.quotedPrintable++;
      const qp = body
        .replace(/=/g, "=3D")
        .replace(/ $/gm, "=20")
        .replace(/^(.{70})(.{6,})$/gm, "$1=\n$2")
        .replace(/[\u0080-\uffff]/g, (c) => [...Buffer.from(c, "utf8")].map((b) => "=" + b.toString(16).toUpperCase()).join(""));
      content = `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n${mboxBody(qp)}`;
    } else if (enc < 0.1) {
      stats.base64++;
      const data = Buffer.from(body, "utf8").toString("base64").replace(/(.{76})/g, "$1\n");
      content = `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${data}\n`;
    } else {
      content = `Content-Type: text/plain; charset=${isPatch ? "UTF-8" : "us-ascii"}\nContent-Transfer-Encoding: ${isPatch ? "8bit" : "7bit"}\n\n${mboxBody(body)}`;
    }
    const listHdrs =
      "Precedence: bulk\nList-ID: <linux-kernel.vger.kernel.org>\nList-Subscribe: <mailto:linux-kernel+subscribe@vger.kernel.org>\nList-Unsubscribe: <mailto:linux-kernel+unsubscribe@vger.kernel.org>\nList-Archive: <https://lore.kernel.org/lkml/>\nX-Mailing-List: linux-kernel@vger.kernel.org\n";
    // headers, then list headers before the body (content starts with its own header lines)
    const split = content.indexOf("\n\n");
    const msg = h + content.slice(0, split + 1) + listHdrs + content.slice(split + 1);
    pending.push(msg.endsWith("\n") ? msg : msg + "\n", "\n");
    pendingLen += msg.length + 1;
    stats.messages++;
    if (pendingLen > 1 << 20) await flush();
  }
  await flush();
  out.end();
  await once(out, "finish");
  return stats;
}
