import { describe, expect, it } from "vitest";
import { wrapText } from "../../src/report/wrap-text.js";

describe("wrapText", () => {
  it("wraps long prose at 72 columns without losing words", () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
    const out = wrapText(words.join(" "));
    for (const l of out.split("\n")) expect(l.length).toBeLessThanOrEqual(72);
    expect(out.split(/\s+/)).toEqual(words);
  });

  it("hangs list continuations under the item text", () => {
    const out = wrapText("- " + "alpha ".repeat(20).trim());
    const [first, second] = out.split("\n");
    expect(first?.startsWith("- alpha")).toBe(true);
    expect(second?.startsWith("  alpha")).toBe(true);
  });

  it("leaves quoted, indented and unbreakable lines alone", () => {
    const quoted = "> " + "x ".repeat(50);
    const code = "\t" + "y ".repeat(50);
    const url = "https://lore.kernel.org/" + "z".repeat(80);
    expect(wrapText(quoted)).toBe(quoted.trimEnd());
    expect(wrapText(code)).toBe(code.trimEnd());
    expect(wrapText(url)).toBe(url);
  });
});
