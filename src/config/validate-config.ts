import { Ajv, type ErrorObject } from "ajv";
import type { Config } from "./config.js";
import { configSchema } from "./schema.js";

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const check = ajv.compile(configSchema);

export type ValidationOutcome = { ok: true; config: Config } | { ok: false; problems: string[] };

function describe(e: ErrorObject): string {
  const where = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties") {
    return `${where}: unknown key "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
  }
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Validate `unknown` (parsed YAML/JSON) into a Config with defaults filled in, or a list of problems. */
export function validateConfig(input: unknown): ValidationOutcome {
  const data: unknown = structuredClone(input ?? {});
  if (check(data)) return { ok: true, config: data as unknown as Config };
  return { ok: false, problems: (check.errors ?? []).map(describe) };
}
