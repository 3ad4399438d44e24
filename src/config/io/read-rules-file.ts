import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../errors.js";

/**
 * Read a YAML rules file (rules/*.yaml) into `unknown` for schema validation; a missing file or
 * bad YAML is a ConfigError naming the file. Shared by every rules loader.
 */
export async function readYamlFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}

/** Read a JSON schema (rules/schema/*.json); a missing or broken file is a ConfigError. */
export async function readJsonFile(file: string): Promise<object> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as object;
  } catch (err) {
    throw new ConfigError(`cannot read schema ${file}: ${(err as Error).message}`);
  }
}
