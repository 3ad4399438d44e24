import { describe, expect, it } from "vitest";
import { checkRefName } from "../../src/mail-commands/check-ref-name.js";
import { parseCommands, type CommandItem } from "../../src/mail-commands/parse-commands.js";

const opts = { trees: ["linus", "tip"], maxCommands: 5 };
const cmds = (items: CommandItem[]) => items.map((i) => (i.kind === "command" ? i.command : i.kind));

describe("parseCommands", () => {
  it("finds commands at the start of lines and ignores prose, quotes and the signature", () => {
    const body = [
      "Hi,",
      "",
      "> #irqtriage retest",
      ">> #irqtriage quiet",
      "  > #irqtriage quiet",
      "Please run it again: #irqtriage status (not at line start)",
      "#irqtriage retest",
      "#IRQTRIAGE help",
      "",
      "-- ",
      "#irqtriage quiet",
    ].join("\n");
    const items = parseCommands(body, opts);
    expect(cmds(items)).toEqual([{ verb: "retest" }, { verb: "help" }]);
    expect(items.map((i) => i.line)).toEqual([7, 8]);
  });

  it("parses every verb with its arguments", () => {
    const body = [
      "#irqtriage test linus master",
      "#irqtriage test tip 0123abcd",
      "#irqtriage explain never-disposes-1a2b",
      "#irqtriage ignore shared-dispose-9 the mapping is shared on purpose",
      "#irqtriage quiet",
    ].join("\r\n");
    expect(cmds(parseCommands(body, opts))).toEqual([
      { verb: "test", tree: "linus", ref: "master" },
      { verb: "test", tree: "tip", ref: "0123abcd" },
      { verb: "explain", findingId: "never-disposes-1a2b" },
      { verb: "ignore", findingId: "shared-dispose-9", reason: "the mapping is shared on purpose" },
      { verb: "quiet" },
    ]);
  });

  it("tolerates wrapped lines: an ignore reason to the end of its paragraph, missing arguments from the next line", () => {
    const body = [
      "#irqtriage ignore never-disposes-3 devm_ handles this: the",
      "mapping is disposed by the parent domain on",
      "   unbind",
      "",
      "Thanks,",
      "#irqtriage test linus",
      "  irq/core",
      "#irqtriage retest",
      "Thanks!",
    ].join("\n");
    expect(cmds(parseCommands(body, opts))).toEqual([
      { verb: "ignore", findingId: "never-disposes-3", reason: "devm_ handles this: the mapping is disposed by the parent domain on unbind" },
      { verb: "test", tree: "linus", ref: "irq/core" },
      // "Thanks!" after a complete command is prose, not an argument.
      { verb: "retest" },
    ]);
  });

  it("caps the commands per mail and marks the rest too-many", () => {
    const body = Array.from({ length: 7 }, () => "#irqtriage status").join("\n");
    const items = parseCommands(body, opts);
    expect(items.map((i) => i.kind)).toEqual(["command", "command", "command", "command", "command", "too-many", "too-many"]);
  });

  it("refuses unknown verbs, unknown trees, unsafe refs and bad ids without echoing them", () => {
    const body = [
      "#irqtriage reboot",
      "#irqtriage test nosuchtree master",
      "#irqtriage test linus 'main;rm -rf /'",
      "#irqtriage test linus main;rm",
      "#irqtriage test linus $(reboot)",
      "#irqtriage test linus --upload-pack=x",
      "#irqtriage explain ../../etc/passwd",
      "#irqtriage ignore some-id",
      "#irqtriage retest now",
      "#irqtriage",
    ].join("\n");
    const items = parseCommands(body, { ...opts, maxCommands: 20 });
    expect(items.every((i) => i.kind === "invalid")).toBe(true);
    const errors = items.map((i) => (i.kind === "invalid" ? i.error : ""));
    expect(errors[1]).toMatch(/unknown tree name \(configured trees: linus, tip\)/);
    expect(errors[3]).toMatch(/refused branch or commit/);
    for (const e of errors) expect(e).not.toMatch(/rm|reboot|passwd|upload/);
  });
});

describe("checkRefName", () => {
  it.each(["master", "irq/core", "v6.1-rc3", "for-linus_2", "0123abc", "0123456789abcdef0123456789abcdef01234567"])("accepts %s", (r) => {
    expect(checkRefName(r).ok).toBe(true);
  });
  it.each([
    "",
    "-x",
    "a..b",
    "a b",
    "a;b",
    "a|b",
    "a&b",
    "$(x)",
    "`x`",
    "a\nb",
    "a\u0001b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[b",
    "a\\b",
    "x@{1}",
    "@",
    "/a",
    "a/",
    "a//b",
    "a.",
    ".a",
    "a/.b",
    "a.lock",
    "a/b.lock/c",
    "HEAD",
    "'main'",
    "x".repeat(201),
  ])("refuses %j", (r) => {
    expect(checkRefName(r).ok).toBe(false);
  });
});
