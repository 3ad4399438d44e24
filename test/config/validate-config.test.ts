import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/io/load-config.js";
import { validateConfig } from "../../src/config/validate-config.js";
import { ConfigError } from "../../src/errors.js";

describe("validateConfig", () => {
  it("fills every default from an empty config", () => {
    const r = validateConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.stateDir).toBe(".irqtriage");
    expect(r.config.mirror.branch).toBe("master");
    expect(r.config.limits.maxPatchBytes).toBe(5 * 1024 * 1024);
  });

  it("lists every problem, naming unknown keys", () => {
    const r = validateConfig({ mirorr: {}, limits: { maxPatchBytes: "big" } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.join("\n")).toMatch(/unknown key "mirorr"/);
    expect(r.problems.join("\n")).toMatch(/\/limits\/maxPatchBytes/);
  });

  it("loads YAML and resolves paths against the file's folder", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-cfg-"));
    try {
      await writeFile(path.join(dir, "c.yaml"), "stateDir: st\nmirror:\n  path: ../linux\n");
      const c = await loadConfig(path.join(dir, "c.yaml"), {});
      expect(c.stateDir).toBe(path.join(dir, "st"));
      expect(c.mirror.path).toBe(path.resolve(dir, "../linux"));
      await writeFile(path.join(dir, "bad.yaml"), "limits: [1, 2\n");
      await expect(loadConfig(path.join(dir, "bad.yaml"), {})).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
