/** DNS lookup as mailauth calls it; tests publish their key through one of these. */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

export interface DkimSignature {
  /** d= of the signature, lower case. */
  domain: string;
  /** mailauth's verdict: pass, fail, neutral, policy, temperror, permerror, none. */
  result: string;
  /** Why, as mailauth says it (for the log and the command record). */
  comment: string;
  /**
   * mailauth's relaxed DMARC alignment of d= with the From: domain (organizational domains from
   * the public-suffix list, so d=co.uk never aligns); undefined when not computed.
   */
  aligned?: boolean;
}

export interface DkimSummary {
  signatures: DkimSignature[];
}
