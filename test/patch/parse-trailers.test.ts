import { describe, expect, it } from "vitest";
import { parseBaseInfo, parseCommitTrailers, parseReplyTrailers, trailerFromSender } from "../../src/patch/parse-trailers.js";

describe("parseCommitTrailers", () => {
  it("reads the last paragraph when it is a trailer block", () => {
    const msg = [
      "genirq: fix it",
      "",
      "Long explanation: with a colon in prose.",
      "",
      "Fixes: 0123456789ab (\"genirq: break it\")",
      "Reported-by: R <r@example.org>",
      "Suggested-by: S <s@example.org>",
      "Co-developed-by: C <c@example.org>",
      "Signed-off-by: C <c@example.org>",
      "Link: https://lore.kernel.org/r/abc@example.org",
      "Cc: stable@vger.kernel.org # 5.10+",
      "[ maintainer: tweaked the changelog ]",
      "Tested-by: T <t@example.org>",
      "Reviewed-by: V <v@example.org>",
      "Acked-by: A <a@example.org>",
      "Signed-off-by: Me <me@example.org>",
    ].join("\n");
    expect(parseCommitTrailers(msg).map((t) => t.name)).toEqual([
      "Fixes",
      "Reported-by",
      "Suggested-by",
      "Co-developed-by",
      "Signed-off-by",
      "Link",
      "Cc",
      "Tested-by",
      "Reviewed-by",
      "Acked-by",
      "Signed-off-by",
    ]);
    expect(parseCommitTrailers(msg)[0]).toEqual({ name: "Fixes", value: "0123456789ab (\"genirq: break it\")" });
  });

  it("returns nothing when the last paragraph is prose", () => {
    expect(parseCommitTrailers("title\n\nSigned-off-by: x <x@y.z>\n\nand then some prose.")).toEqual([]);
  });

  it("re-joins a wrapped Fixes: title and a name/address split over two lines", () => {
    const t = parseCommitTrailers("x\n\nFixes: 0123456789ab (\"genirq: a very long\ntitle\")\nSigned-off-by: Long Name\n<long@example.org>");
    expect(t).toEqual([
      { name: "Fixes", value: "0123456789ab (\"genirq: a very long title\")" },
      { name: "Signed-off-by", value: "Long Name <long@example.org>" },
    ]);
  });

  it("canonicalizes the spelling of known names", () => {
    expect(parseCommitTrailers("x\n\nreviewed-by: a <a@b.c>\nSIGNED-OFF-BY: b <b@c.d>")).toEqual([
      { name: "Reviewed-by", value: "a <a@b.c>" },
      { name: "Signed-off-by", value: "b <b@c.d>" },
    ]);
  });
});

describe("parseReplyTrailers", () => {
  it("takes unquoted trailers with an address, ignores quoted ones and the signature", () => {
    const text = [
      "On Mon, X wrote:",
      "> Signed-off-by: Author <author@example.org>",
      "> Reviewed-by: Quoted <q@example.org>",
      "",
      "Looks good.",
      "",
      "Reviewed-by: Rex <rex@example.org>",
      "Tested-by: Tina <tina@example.org> # on arm64",
      "Acked-by: no address here",
      "Signed-off-by: Rex <rex@example.org>",
      "Note: something@else.example.org",
      "-- ",
      "Acked-by: Sig <sig@example.org>",
    ].join("\n");
    expect(parseReplyTrailers(text)).toEqual([
      { name: "Reviewed-by", value: "Rex <rex@example.org>" },
      { name: "Tested-by", value: "Tina <tina@example.org> # on arm64" },
    ]);
  });

  it("accepts Fixes: (no person) but not a person trailer with a URL", () => {
    expect(parseReplyTrailers("Fixes: 0123456789ab (\"x\")\nReported-by: https://bugs.example.org/1 <x@y.z>")).toEqual([{ name: "Fixes", value: "0123456789ab (\"x\")" }]);
  });
});

describe("parseBaseInfo", () => {
  it("reads base-commit and prerequisite-patch-id lines", () => {
    const sha = "a".repeat(40);
    expect(parseBaseInfo(`x\n\nbase-commit: ${sha}\nprerequisite-patch-id: ${"b".repeat(40)}\nprerequisite-patch-id: ${"c".repeat(40)}\n`)).toEqual({
      baseCommit: sha,
      prerequisitePatchIds: ["b".repeat(40), "c".repeat(40)],
    });
    expect(parseBaseInfo("> base-commit: " + sha)).toEqual({ baseCommit: null, prerequisitePatchIds: [] });
  });
});

describe("trailerFromSender", () => {
  const rex = { name: "Rex Reviewer", address: "rex@irq.example.org" };
  it("accepts the sender's own address or name, rejects relayed tags, always accepts Fixes", () => {
    expect(trailerFromSender({ name: "Reviewed-by", value: "Rex R. <REX@irq.example.org>" }, rex)).toBe(true);
    expect(trailerFromSender({ name: "Reviewed-by", value: "Rex Reviewer <rex@home.example.org>" }, rex)).toBe(true);
    expect(trailerFromSender({ name: "Tested-by", value: "Tina Tester <tina@test.example.org>" }, rex)).toBe(false);
    expect(trailerFromSender({ name: "Fixes", value: "0123456789ab (\"x\")" }, rex)).toBe(true);
    expect(trailerFromSender({ name: "Acked-by", value: "a <a@b.c>" }, null)).toBe(false);
  });
});
