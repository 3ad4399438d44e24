import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { commandMailRaw } from "./command-mail-fixture.js";
import { captureIO, type CapturedIO } from "../support/cli-io.js";

let dir: string;
const io = (): CapturedIO => captureIO({ env: { IRQTRIAGE_LOG: "silent" }, cwd: dir });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-checkcmd-"));
  await writeFile(
    path.join(dir, "config.yaml"),
    ["commands:", "  requireDkim: false", "  allowlist: [maint@example.org]", "  trees:", "    - { name: linus, url: /srv/linus.git }", ""].join("\n"),
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("irqtriage check-command", () => {
  it("shows the commands, the decision and exits 0 for an authorized, valid mail", async () => {
    await writeFile(path.join(dir, "ok.eml"), commandMailRaw({ from: "maint@example.org", msgid: "c1@x", body: "#irqtriage test linus irq/core\r\n" }));
    const t = io();
    expect(await main(["check-command", "ok.eml", "--config", "config.yaml", "--json"], t)).toBe(0);
    const out = JSON.parse(t.out()) as { authorized: boolean; commands: unknown[]; auth: { via: string } };
    expect(out.authorized).toBe(true);
    expect(out.auth.via).toBe("allowlist");
    expect(out.commands).toEqual([{ line: 1, ok: true, verb: "test", tree: "linus", ref: "irq/core" }]);
  });

  it("exits 1 and says why for a stranger with a hostile ref", async () => {
    await writeFile(path.join(dir, "bad.eml"), commandMailRaw({ from: "x@evil.example", msgid: "c2@x", body: "#irqtriage test linus main;reboot\r\n" }));
    const t = io();
    expect(await main(["check-command", "bad.eml", "--config", "config.yaml"], t)).toBe(1);
    expect(t.out()).toMatch(/authorized: no \(not-allowed: x@evil.example is not on the allowlist\)/);
    expect(t.out()).toMatch(/line 1: refused: refused branch or commit/);
  });
});
