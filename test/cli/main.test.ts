import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { registry } from "../../src/cli/registry.js";
import { captureIO, type CapturedIO } from "../support/cli-io.js";

const io = (): CapturedIO => captureIO();

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
