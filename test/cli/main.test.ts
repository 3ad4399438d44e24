import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/cli-command.js";
import { main } from "../../src/cli/main.js";
import { registry } from "../../src/cli/registry.js";

function io(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (b: Buffer) => (o += b.toString()));
  stderr.on("data", (b: Buffer) => (e += b.toString()));
  return { stdout, stderr, env: {}, cwd: process.cwd(), isTTY: false, signal: new AbortController().signal, out: () => o, err: () => e };
}

describe("irqtriage CLI", () => {
  it("lists every subcommand in --help", async () => {
    const t = io();
    expect(await main(["--help"], t)).toBe(0);
    for (const name of Object.keys(registry)) expect(t.out()).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("has --help on each subcommand, starting with its usage", async () => {
    for (const name of Object.keys(registry)) {
      const t = io();
      expect(await main([name, "--help"], t)).toBe(0);
      expect(t.out()).toMatch(new RegExp(`usage: irqtriage ${name}\\b`));
    }
  });

  it("exits 2 on an unknown command, a missing argument or an unknown option", async () => {
    const a = io();
    expect(await main(["frobnicate"], a)).toBe(2);
    expect(a.err()).toMatch(/unknown command "frobnicate"/);
    const b = io();
    expect(await main(["run"], b)).toBe(2);
    expect(b.err()).toMatch(/at least one/);
    const c = io();
    expect(await main(["run", "--no-such-option", "x"], c)).toBe(2);
  });

  it("exits 3 on a bad config file", async () => {
    const t = io();
    expect(await main(["run", "--config", "/nonexistent/irqtriage.yaml", "x.mbox"], t)).toBe(3);
    expect(t.err()).toMatch(/ConfigError/);
  });
});
