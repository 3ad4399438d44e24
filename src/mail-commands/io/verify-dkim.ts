import type { DkimSummary, DnsResolver } from "../dkim-summary.js";

export type { DkimSignature, DkimSummary, DnsResolver } from "../dkim-summary.js";

/**
 * Verify the DKIM signatures of a raw mail with mailauth (no crypto of our own). SPF, ARC,
 * DMARC and BIMI are off: the bot reads list mail long after delivery, so only the signature
 * over the message itself means anything here.
 */
export async function verifyDkim(raw: Buffer, opts: { resolver?: DnsResolver } = {}): Promise<DkimSummary> {
  // Imported on first use: mailauth (with its public-suffix data) is ~10 MB of heap that a
  // daemon which never sees a command mail should not carry.
  const { authenticate } = await import("mailauth");
  const res = await authenticate(raw, {
    ...(opts.resolver ? { resolver: opts.resolver } : {}),
    disableArc: true,
    disableDmarc: true,
    disableBimi: true,
    // A loopback client and no sender keep SPF from doing anything that matters.
    ip: "127.0.0.1",
    helo: "localhost",
    sender: "",
    mta: "irqtriage.invalid",
  });
  const signatures = (res.dkim.results ?? [])
    .filter((r) => r.signingDomain)
    .map((r) => ({
      domain: r.signingDomain.toLowerCase(),
      result: String(r.status.result),
      comment: String(r.status.comment ?? ""),
      aligned: Boolean(r.status.aligned),
    }));
  return { signatures };
}
