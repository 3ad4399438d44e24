import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../errors.js";
import type { Config } from "../config.js";
import { validateConfig } from "../validate-config.js";

/**
 * Read the config file (YAML or JSON) if given, else $IRQTRIAGE_CONFIG, else embedded defaults.
 * Relative paths in the file are resolved against the file's folder.
 */
export async function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Config> {
  const chosen = file ?? env["IRQTRIAGE_CONFIG"];
  let raw: unknown = {};
  let base = cwd;
  if (chosen) {
    const abs = path.resolve(cwd, chosen);
    let text: string;
    try {
      text = await readFile(abs, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read config ${abs}: ${(err as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`config ${abs} is not valid YAML/JSON: ${(err as Error).message}`);
    }
    base = path.dirname(abs);
  }
  const outcome = validateConfig(raw);
  if (!outcome.ok) throw new ConfigError(`invalid config ${chosen ?? "(defaults)"}`, outcome.problems);
  const c = outcome.config;
  c.stateDir = path.resolve(base, c.stateDir);
  if (c.outbox) c.outbox = path.resolve(base, c.outbox);
  if (c.mirror.path) c.mirror.path = path.resolve(base, c.mirror.path);
  return c;
}

export function outboxDir(c: Config): string {
  return c.outbox ?? path.join(c.stateDir, "outbox");
}
