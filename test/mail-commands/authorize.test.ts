import { describe, expect, it } from "vitest";
import { authorize, dkimAligned } from "../../src/mail-commands/authorize.js";
import type { DkimSummary } from "../../src/mail-commands/io/verify-dkim.js";

const allowlist = new Set(["maint@example.org"]);
const maintainers = new Set(["tglx@linutronix.de"]);
const pass = (domain: string): DkimSummary => ({ signatures: [{ domain, result: "pass", comment: "" }] });
const fail = (domain: string): DkimSummary => ({ signatures: [{ domain, result: "neutral", comment: "body hash did not verify" }] });
const none: DkimSummary = { signatures: [] };

describe("authorize (matrix)", () => {
  const cases: [string, string[], boolean, DkimSummary | null, string][] = [
    // [what, from, requireDkim, dkim, expected]
    ["allowlisted, DKIM off", ["maint@example.org"], false, null, "ok:allowlist"],
    ["maintainer, DKIM off", ["TGLX@linutronix.de"], false, null, "ok:maintainers"],
    ["stranger, DKIM off", ["x@evil.example"], false, null, "not-allowed:trusted"],
    ["allowlisted, aligned pass", ["maint@example.org"], true, pass("example.org"), "ok:allowlist"],
    ["maintainer, pass of a parent domain", ["tglx@mail.linutronix.de"], true, pass("linutronix.de"), "not-allowed:trusted"],
    ["maintainer, aligned pass", ["tglx@linutronix.de"], true, pass("linutronix.de"), "ok:maintainers"],
    ["forged From: signed by another domain", ["tglx@linutronix.de"], true, pass("evil.example"), "dkim-unaligned:untrusted"],
    ["broken signature", ["tglx@linutronix.de"], true, fail("linutronix.de"), "dkim-failed:untrusted"],
    ["unsigned", ["tglx@linutronix.de"], true, none, "dkim-missing:untrusted"],
    ["d= a public suffix (mailauth: not aligned)", ["maint@example.org"], true, { signatures: [{ domain: "org", result: "pass", comment: "", aligned: false }] }, "dkim-unaligned:untrusted"],
    ["stranger with a valid signature", ["x@evil.example"], true, pass("evil.example"), "not-allowed:trusted"],
    ["two From: addresses", ["x@evil.example", "tglx@linutronix.de"], false, null, "several-from:untrusted"],
    ["no From:", [], false, null, "no-from:untrusted"],
  ];
  it.each(cases)("%s", (_what, from, requireDkim, dkim, expected) => {
    const d = authorize({ fromAddresses: from, allowlist, maintainers, requireDkim, dkim });
    const got = d.ok ? `ok:${d.via}` : `${d.reason}:${d.untrusted ? "untrusted" : "trusted"}`;
    expect(got).toBe(expected);
  });

  it("aligns d= with the From: domain or a parent of it, never the reverse", () => {
    expect(dkimAligned("mail.example.org", "example.org")).toBe(true);
    expect(dkimAligned("example.org", "mail.example.org")).toBe(false);
    expect(dkimAligned("badexample.org", "example.org")).toBe(false);
  });
});
