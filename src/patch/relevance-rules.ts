import picomatch from "picomatch";

/** rules/relevance.yaml as validated data (see rules/schema/relevance.schema.json). */
export interface RelevanceRulesData {
  paths: string[];
  subjectPrefixes: string[];
  content: {
    apiFile: string;
    families: string[];
    kinds: ("create" | "release" | "related")[];
    files: string[];
  };
}

/** One family of rules/mapping-api.yaml. */
export interface MappingApiFamily {
  name: string;
  description?: string;
  create: string[];
  release: string[];
  related?: string[];
}

/** Compiled rules: what `judgeRelevance` needs. Plain data plus matcher functions; pure. */
export interface RelevanceRules {
  data: RelevanceRulesData;
  /** Function name -> "create" | "release" | "related", for the families the rules name. */
  api: Map<string, "create" | "release" | "related">;
  matchPath: (path: string) => string | null;
  matchPrefix: (prefix: string) => string | null;
  isCodeFile: (path: string) => boolean;
  /** One regex finding any API call: `name(` not preceded by an identifier character. */
  callPattern: RegExp | null;
}

function firstMatcher(globs: readonly string[], nocase: boolean): (s: string) => string | null {
  const ms = globs.map((g) => ({ g, m: picomatch(g, { dot: true, nocase }) }));
  return (s) => ms.find((x) => x.m(s))?.g ?? null;
}

/** Compile validated rule data and the mapping-API families into matchers. Pure. */
export function compileRelevanceRules(data: RelevanceRulesData, families: readonly MappingApiFamily[]): RelevanceRules {
  const api = new Map<string, "create" | "release" | "related">();
  for (const f of families) {
    if (!data.content.families.includes(f.name)) continue;
    for (const kind of data.content.kinds) for (const fn of f[kind] ?? []) if (!api.has(fn)) api.set(fn, kind);
  }
  const names = [...api.keys()].sort((a, b) => b.length - a.length).map((n) => n.replace(/[^A-Za-z0-9_]/g, ""));
  const isCode = picomatch(data.content.files, { dot: true });
  return {
    data,
    api,
    matchPath: firstMatcher(data.paths, false),
    matchPrefix: firstMatcher(data.subjectPrefixes, true),
    isCodeFile: (p) => isCode(p),
    callPattern: names.length ? new RegExp(`(?<![A-Za-z0-9_])(${names.join("|")})\\s*\\(`, "g") : null,
  };
}
