import type { DkimSummary } from "./dkim-summary.js";

export interface AuthorizeInput {
  /** Every address found in the From: header(s) of the mail. */
  fromAddresses: string[];
  allowlist: ReadonlySet<string>;
  maintainers: ReadonlySet<string>;
  requireDkim: boolean;
  /** null when DKIM was not checked (not required). */
  dkim: DkimSummary | null;
}

export type AuthDecision =
  | { ok: true; sender: string; via: "allowlist" | "maintainers"; dkimDomain: string | null }
  | {
      ok: false;
      sender: string | null;
      reason: "no-from" | "several-from" | "not-allowed" | "dkim-missing" | "dkim-failed" | "dkim-unaligned";
      /**
       * true when the From: cannot be trusted (no passing aligned signature): such a mail gets
       * no answer at all, since the answer would go to whoever the forger named.
       */
      untrusted: boolean;
      detail: string;
    };

/** Relaxed DKIM alignment (RFC 7489 3.1.1, without the public-suffix list): same domain or a subdomain of d=. */
export function dkimAligned(fromDomain: string, d: string): boolean {
  const f = fromDomain.toLowerCase();
  const s = d.toLowerCase();
  return f === s || f.endsWith(`.${s}`);
}

/**
 * Decide whether a command mail may act. Pure. Allowed only when the one From: address is on the
 * allowlist (config or MAINTAINERS) and, when DKIM is required, a signature passes whose d=
 * aligns with the From: domain. A signature of some other domain proves nothing about From:.
 */
export function authorize(input: AuthorizeInput): AuthDecision {
  const addrs = [...new Set(input.fromAddresses.map((a) => a.trim().toLowerCase()).filter(Boolean))];
  if (addrs.length === 0) return { ok: false, sender: null, reason: "no-from", untrusted: true, detail: "no From: address" };
  if (addrs.length > 1) {
    return { ok: false, sender: null, reason: "several-from", untrusted: true, detail: `several From: addresses: ${addrs.join(", ")}` };
  }
  const sender = addrs[0] as string;
  const domain = sender.slice(sender.lastIndexOf("@") + 1);

  let dkimDomain: string | null = null;
  let trusted = !input.requireDkim;
  if (input.requireDkim) {
    const sigs = input.dkim?.signatures ?? [];
    const passing = sigs.filter((s) => s.result === "pass");
    // Both: ours (d= is the From: domain or a parent of it) and mailauth's public-suffix-aware one.
    const aligned = passing.find((s) => s.aligned !== false && dkimAligned(domain, s.domain));
    if (aligned) {
      dkimDomain = aligned.domain;
      trusted = true;
    } else {
      const reason = sigs.length === 0 ? "dkim-missing" : passing.length === 0 ? "dkim-failed" : "dkim-unaligned";
      const detail =
        sigs.length === 0
          ? "no DKIM signature"
          : sigs.map((s) => `d=${s.domain} ${s.result}${s.comment ? ` (${s.comment})` : ""}`).join("; ");
      return { ok: false, sender, reason, untrusted: true, detail };
    }
  }
  const via = input.allowlist.has(sender) ? "allowlist" : input.maintainers.has(sender) ? "maintainers" : null;
  if (!via) return { ok: false, sender, reason: "not-allowed", untrusted: !trusted, detail: `${sender} is not on the allowlist` };
  return { ok: true, sender, via, dkimDomain };
}
