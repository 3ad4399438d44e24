import { Ajv } from "ajv";
import type { ApiFamily, BalanceRules } from "./balance-rules.js";

const nameList = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : []);

/**
 * Turn the parsed YAML of balance.yaml and mapping-api.yaml into BalanceRules, or a list of
 * problems. Pure: reading the files is load-balance-rules.ts's job.
 */
export function validateBalanceRules(
  balance: unknown,
  mappingApi: unknown,
  schema: object,
): { rules: BalanceRules; problems: [] } | { rules: null; problems: string[] } {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const problems: string[] = [];
  if (!validate(balance)) {
    for (const e of validate.errors ?? []) problems.push(`balance.yaml${e.instancePath || ""}: ${e.message ?? "invalid"}`);
  }
  const fams = (mappingApi as { families?: unknown } | null)?.families;
  if (!Array.isArray(fams)) problems.push("mapping-api.yaml: families must be a list");
  if (problems.length) return { rules: null, problems };
  const b = balance as Record<string, unknown>;
  const wanted = nameList(b["families"]);
  const families: ApiFamily[] = [];
  for (const f of fams as Record<string, unknown>[]) {
    const name = typeof f["name"] === "string" ? f["name"] : "";
    if (!wanted.includes(name)) continue;
    families.push({ name, create: nameList(f["create"]), release: nameList(f["release"]), related: nameList(f["related"]) });
  }
  for (const w of wanted) if (!families.some((f) => f.name === w)) problems.push(`balance.yaml: family "${w}" is not in mapping-api.yaml`);
  if (problems.length) return { rules: null, problems };
  const actions = (b["notifierActions"] ?? {}) as Record<string, unknown>;
  return {
    rules: {
      families,
      excludePaths: nameList(b["excludePaths"]),
      ignoreTokens: nameList(b["ignoreTokens"]),
      rootFields: (b["rootFields"] ?? {}) as BalanceRules["rootFields"],
      rootCalls: (b["rootCalls"] ?? {}) as BalanceRules["rootCalls"],
      namedRoots: (b["namedRoots"] ?? {}) as BalanceRules["namedRoots"],
      notifierActions: { setup: nameList(actions["setup"]), teardown: nameList(actions["teardown"]) },
      refcountGuards: nameList(b["refcountGuards"]),
      lookups: nameList(b["lookups"]),
      loopMacroPattern: typeof b["loopMacroPattern"] === "string" ? b["loopMacroPattern"] : "for_each",
    },
    problems: [],
  };
}
