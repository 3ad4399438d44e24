/**
 * The rules the mapping-balance analysis runs on, merged from rules/mapping-api.yaml (families:
 * which call creates, which releases) and rules/balance.yaml (where lifecycles start and end).
 * Pure data; `validateBalanceRules` turns unknown YAML into this or a list of problems.
 */
export type Phase = "setup" | "teardown" | "repeat" | "notifier" | "refcounted";

export interface RootSpec {
  kind: string;
  phase: Phase;
  /** Only in initializers of struct types whose name contains one of these. */
  structs?: string[];
}

/** The root spec for `.field = fn` inside an initializer of `structType`, if any. */
export function rootFieldSpec(rules: BalanceRules, structType: string, field: string): RootSpec | undefined {
  const exact = rules.rootFields[`${structType}.${field}`];
  if (exact) return exact;
  const spec = rules.rootFields[field];
  if (!spec?.structs) return spec;
  return spec.structs.some((s) => structType.includes(s)) ? spec : undefined;
}

export interface RootCallSpec extends RootSpec {
  arg: number;
}

export interface ApiFamily {
  name: string;
  create: string[];
  release: string[];
  related: string[];
}

export interface BalanceRules {
  families: ApiFamily[];
  excludePaths: string[];
  ignoreTokens: string[];
  rootFields: Record<string, RootSpec>;
  rootCalls: Record<string, RootCallSpec>;
  namedRoots: Record<string, RootSpec>;
  notifierActions: { setup: string[]; teardown: string[] };
  refcountGuards: string[];
  lookups: string[];
  loopMacroPattern: string;
}

/** Every API name of the balanced families: the words the candidate search looks for. */
export function apiNames(rules: BalanceRules): string[] {
  const names = new Set<string>();
  for (const f of rules.families) for (const n of [...f.create, ...f.release]) names.add(n);
  return [...names].sort();
}

/** Role of an API name in its family, or null. */
export function roleOf(rules: BalanceRules, name: string): { family: string; role: "create" | "release" } | null {
  for (const f of rules.families) {
    if (f.create.includes(name)) return { family: f.name, role: "create" };
    if (f.release.includes(name)) return { family: f.name, role: "release" };
  }
  return null;
}
