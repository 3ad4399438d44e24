import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { ActorClassSpec, ScenarioSpec, SemanticsSpec, SimRules, TopologySpec } from "./sim-types.js";

/** The JSON schemas of rules/schema/sim-*.schema.json, passed in by whoever read them. */
export interface SimSchemas {
  semantics: object;
  topology: object;
  actors: object;
  scenario: object;
}

/** Parsed (not yet trusted) YAML documents, each with the name of the file it came from. */
export interface RawSimRules {
  semantics: Array<{ source: string; data: unknown }>;
  topology: { source: string; data: unknown };
  actors: { source: string; data: unknown };
  scenarios: Array<{ source: string; data: unknown }>;
}

export type SimRulesOutcome = { ok: true; rules: SimRules } | { ok: false; problems: string[] };

function describe(source: string, e: ErrorObject): string {
  const where = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties") {
    return `${source}: ${where}: unknown key "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
  }
  return `${source}: ${where}: ${e.message ?? e.keyword}`;
}

/** Validates one scenario document (e.g. given with --scenario <file>). */
export function makeScenarioValidator(schemas: SimSchemas): (source: string, data: unknown) => { ok: true; scenario: ScenarioSpec } | { ok: false; problems: string[] } {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(schemas.scenario);
  return (source, data) => (check(data) ? { ok: true, scenario: data as ScenarioSpec } : { ok: false, problems: (check.errors ?? []).map((e) => describe(source, e)) });
}

/**
 * Validate the simulation rules: each document against its schema, then what a schema cannot say
 * (unique names, patterns that compile, classes and domains that exist, no parent loops).
 */
export function validateSimRules(raw: RawSimRules, schemas: SimSchemas): SimRulesOutcome {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const problems: string[] = [];
  const run = (check: ValidateFunction, source: string, data: unknown): boolean => {
    if (check(data)) return true;
    problems.push(...(check.errors ?? []).map((e) => describe(source, e)));
    return false;
  };
  const checkSem = ajv.compile(schemas.semantics);
  const checkTopo = ajv.compile(schemas.topology);
  const checkActors = ajv.compile(schemas.actors);
  const checkScenario = ajv.compile(schemas.scenario);

  const semantics: SemanticsSpec[] = [];
  for (const doc of raw.semantics) {
    if (!run(checkSem, doc.source, doc.data)) continue;
    const s = doc.data as SemanticsSpec;
    for (const r of [...s.detect.require, ...(s.detect.forbid ?? [])]) {
      try {
        new RegExp(r.pattern);
      } catch (err) {
        problems.push(`${doc.source}: pattern ${JSON.stringify(r.pattern)} does not compile: ${(err as Error).message}`);
      }
    }
    if (semantics.some((x) => x.name === s.name)) problems.push(`${doc.source}: duplicate semantics "${s.name}"`);
    semantics.push(s);
  }
  if (semantics.length === 0) problems.push("no semantics defined");

  let topology: TopologySpec | null = null;
  if (run(checkTopo, raw.topology.source, raw.topology.data)) {
    topology = raw.topology.data as TopologySpec;
    const names = new Set<string>();
    for (const d of topology.domains) {
      if (names.has(d.name)) problems.push(`${raw.topology.source}: duplicate domain "${d.name}"`);
      names.add(d.name);
    }
    for (const d of topology.domains) {
      if (d.parent && !names.has(d.parent)) problems.push(`${raw.topology.source}: domain ${d.name}: unknown parent "${d.parent}"`);
      const seen = new Set<string>();
      for (let cur: string | undefined = d.name; cur; cur = topology.domains.find((x) => x.name === cur)?.parent) {
        if (seen.has(cur)) {
          problems.push(`${raw.topology.source}: domain ${d.name}: parent loop`);
          break;
        }
        seen.add(cur);
      }
      if (d.type === "hierarchy" && !d.parent) problems.push(`${raw.topology.source}: hierarchical domain ${d.name} needs a parent`);
    }
  }

  let classes: Record<string, ActorClassSpec> = {};
  if (run(checkActors, raw.actors.source, raw.actors.data)) classes = (raw.actors.data as { classes: Record<string, ActorClassSpec> }).classes;

  const scenarios: ScenarioSpec[] = [];
  for (const doc of raw.scenarios) {
    if (!run(checkScenario, doc.source, doc.data)) continue;
    const sc = doc.data as ScenarioSpec;
    if (scenarios.some((x) => x.name === sc.name)) problems.push(`${doc.source}: duplicate scenario "${sc.name}"`);
    for (const d of sc.devices) {
      if (!classes[d.class]) problems.push(`${doc.source}: device ${d.name}: unknown class "${d.class}"`);
      const dom = d.line.split("/")[0];
      if (topology && !topology.domains.some((x) => x.name === dom)) problems.push(`${doc.source}: device ${d.name}: unknown domain "${dom}"`);
    }
    for (const k of Object.keys(sc.expect ?? {})) {
      if (!semantics.some((s) => s.name === k)) problems.push(`${doc.source}: expect: unknown semantics "${k}"`);
    }
    scenarios.push(sc);
  }
  if (problems.length || !topology) return { ok: false, problems };
  return { ok: true, rules: { semantics, topology, classes, scenarios } };
}
