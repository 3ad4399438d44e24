import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../../errors.js";
import { rulesDir } from "../../package-root.js";
import type { BalanceRules } from "../balance-rules.js";
import { validateBalanceRules } from "../validate-balance-rules.js";


/** Read rules/balance.yaml + rules/mapping-api.yaml (+ schema) and validate them. */
export async function loadBalanceRules(dir: string = rulesDir): Promise<BalanceRules> {
  const read = async (p: string): Promise<string> => {
    try {
      return await readFile(path.join(dir, p), "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read rules file ${path.join(dir, p)}: ${(err as Error).message}`);
    }
  };
  const [balance, api, schema] = await Promise.all([read("balance.yaml"), read("mapping-api.yaml"), read("schema/balance.schema.json")]);
  let parsed: [unknown, unknown, object];
  try {
    parsed = [parse(balance) as unknown, parse(api) as unknown, JSON.parse(schema) as object];
  } catch (err) {
    throw new ConfigError(`rules in ${dir} are not valid YAML/JSON: ${(err as Error).message}`);
  }
  const res = validateBalanceRules(...parsed);
  if (!res.rules) throw new ConfigError(`invalid balance rules in ${dir}`, res.problems);
  return res.rules;
}
