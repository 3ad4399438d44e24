import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { readYamlFile as readYaml } from "../../config/io/read-rules-file.js";
import { rulesDir as packageRulesDir } from "../../package-root.js";
import { ConfigError, InputError } from "../../errors.js";
import type { ScenarioSpec, SimRules } from "../sim-types.js";
import { makeScenarioValidator, validateSimRules, type SimSchemas } from "../validate-sim-rules.js";

async function yamlFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export async function loadSimSchemas(rulesDir = packageRulesDir): Promise<SimSchemas> {
  const read = async (n: string): Promise<object> => JSON.parse(await readFile(path.join(rulesDir, "schema", `sim-${n}.schema.json`), "utf8")) as object;
  return { semantics: await read("semantics"), topology: await read("topology"), actors: await read("actors"), scenario: await read("scenario") };
}

/** Reads rules/sim/ (semantics, topology, balance classes, scenarios) and validates them. */
export async function loadSimRules(rulesDir = packageRulesDir): Promise<SimRules> {
  const base = path.join(rulesDir, "sim");
  const schemas = await loadSimSchemas(rulesDir);
  const docs = async (files: string[]): Promise<Array<{ source: string; data: unknown }>> =>
    Promise.all(files.map(async (f) => ({ source: path.relative(rulesDir, f), data: await readYaml(f) })));
  const outcome = validateSimRules(
    {
      semantics: await docs(await yamlFiles(path.join(base, "semantics"))),
      topology: { source: "sim/topology.yaml", data: await readYaml(path.join(base, "topology.yaml")) },
      actors: { source: "sim/actors.yaml", data: await readYaml(path.join(base, "actors.yaml")) },
      scenarios: await docs(await yamlFiles(path.join(base, "scenarios"))),
    },
    schemas,
  );
  if (!outcome.ok) throw new ConfigError(`invalid simulation rules in ${base}`, outcome.problems);
  return outcome.rules;
}

/** Reads and validates a scenario file given on the command line. */
export async function loadScenarioFile(file: string, rulesDir = packageRulesDir): Promise<ScenarioSpec> {
  const data = await readYaml(file).catch((err: Error) => {
    throw new InputError(err.message, file);
  });
  const check = makeScenarioValidator(await loadSimSchemas(rulesDir));
  const r = check(file, data);
  if (!r.ok) throw new InputError(`invalid scenario ${file}:\n  ${r.problems.join("\n  ")}`, file);
  return r.scenario;
}
