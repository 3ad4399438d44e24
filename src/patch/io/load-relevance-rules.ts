// The one I/O edge of relevance (reading rules/); everything it hands on is pure.
import path from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { readJsonFile as readSchema, readYamlFile as readYaml } from "../../config/io/read-rules-file.js";
import { ConfigError } from "../../errors.js";
import { compileRelevanceRules, type MappingApiFamily, type RelevanceRules, type RelevanceRulesData } from "../relevance-rules.js";

function problems(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

/**
 * Read rules/relevance.yaml and the mapping-API file it names, validate both against their
 * schemas in rules/schema/ (ajv), and compile them. The I/O edge of relevance; judging is pure
 * (`judgeRelevance`). Throws ConfigError with every schema problem listed.
 */
export async function loadRelevanceRules(dir = "rules"): Promise<RelevanceRules> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const relFile = path.join(dir, "relevance.yaml");
  const rel = await readYaml(relFile);
  const relCheck = ajv.compile<RelevanceRulesData>(await readSchema(path.join(dir, "schema", "relevance.schema.json")));
  if (!relCheck(rel)) throw new ConfigError(`${relFile} does not match its schema`, problems(relCheck.errors));
  const apiFile = path.join(dir, rel.content.apiFile);
  const api = await readYaml(apiFile);
  const apiCheck = ajv.compile<{ families: MappingApiFamily[] }>(await readSchema(path.join(dir, "schema", "mapping-api.schema.json")));
  if (!apiCheck(api)) throw new ConfigError(`${apiFile} does not match its schema`, problems(apiCheck.errors));
  const known = new Set(api.families.map((f) => f.name));
  const unknown = rel.content.families.filter((f) => !known.has(f));
  if (unknown.length) throw new ConfigError(`${relFile} names families not in ${apiFile}`, unknown);
  return compileRelevanceRules(rel, api.families);
}
