import { describe, expect, it } from "vitest";
import { classifyMail, mailFilter } from "../../src/mail/classify-mail.js";
import { parseImapUrl, parseSmtpUrl } from "../../src/daemon/parse-endpoint-url.js";
import { reconnectDelay } from "../../src/mail/io/imap-source.js";
import { certainlyNotSent } from "../../src/daemon/outbox-sender.js";
import { UsageError } from "../../src/errors.js";

const filter = mailFilter("irqtriage <Bot@Example.org>", ["lkp@intel.com"], ["Auto-Submitted: ^auto-", "X-Patchwork-Bot"]);
const msg = (from: string, headers: Record<string, string[]> = {}) => ({ from: { name: "", address: from }, headers });

describe("classifyMail", () => {
  it("ignores the bot's own address and configured bots, case-insensitively", () => {
    expect(classifyMail(msg("bot@example.org"), filter)).toMatch(/ignored sender/);
    expect(classifyMail(msg("LKP@intel.com"), filter)).toMatch(/lkp@intel.com/);
    expect(classifyMail(msg("dev@example.org"), filter)).toBeNull();
  });
  it("ignores by header presence or value pattern", () => {
    expect(classifyMail(msg("a@b.c", { "x-patchwork-bot": ["yes"] }), filter)).toMatch(/x-patchwork-bot/);
    expect(classifyMail(msg("a@b.c", { "auto-submitted": ["auto-generated"] }), filter)).toMatch(/auto-submitted/);
    expect(classifyMail(msg("a@b.c", { "auto-submitted": ["no"] }), filter)).toBeNull();
  });
});

describe("endpoint URLs", () => {
  it("parses imap/imaps with user, port and mailbox", () => {
    expect(parseImapUrl("imaps://list%40x.org@mail.x.org/linux-kernel")).toEqual({ host: "mail.x.org", port: 993, secure: true, user: "list@x.org", mailbox: "linux-kernel" });
    expect(parseImapUrl("imap://u@127.0.0.1:1143/")).toMatchObject({ port: 1143, secure: false, mailbox: null });
    expect(() => parseImapUrl("imap://u:pw@h/INBOX")).toThrow(UsageError);
    expect(() => parseImapUrl("http://h/")).toThrow(/imap/);
  });
  it("parses smtp/smtps", () => {
    expect(parseSmtpUrl("smtp://127.0.0.1:2525")).toEqual({ host: "127.0.0.1", port: 2525, secure: false, user: null });
    expect(parseSmtpUrl("smtps://bot@mx.example.org")).toMatchObject({ port: 465, secure: true, user: "bot" });
  });
});

describe("retry policies", () => {
  it("reconnect delay grows exponentially, is capped, and is jittered", () => {
    expect(reconnectDelay(0, 1000, 60_000, () => 0.5)).toBe(1000);
    expect(reconnectDelay(3, 1000, 60_000, () => 0.5)).toBe(8000);
    expect(reconnectDelay(30, 1000, 60_000, () => 0.5)).toBe(60_000);
    expect(reconnectDelay(3, 1000, 60_000, () => 0)).toBe(4000);
    expect(reconnectDelay(3, 1000, 60_000, () => 0.999)).toBeGreaterThan(11_900);
  });
  it("only a refusal or no connection counts as certainly not sent", () => {
    expect(certainlyNotSent({ responseCode: 451 })).toBe(true);
    expect(certainlyNotSent({ code: "ECONNECTION", message: "connect ECONNREFUSED 127.0.0.1:25" })).toBe(true);
    expect(certainlyNotSent({ command: "CONN" })).toBe(true);
    expect(certainlyNotSent({ code: "ECONNECTION", message: "Connection closed unexpectedly" })).toBe(false);
    expect(certainlyNotSent(new Error("SMTP connection closed"))).toBe(false);
  });
});
