import { Ajv, type ValidateFunction } from "ajv";
import type { QemuScenario } from "./qemu-scenario.js";

const compiled = new WeakMap<object, ValidateFunction>();

export type ScenarioOutcome = { ok: true; scenario: QemuScenario } | { ok: false; problems: string[] };

/**
 * Validate parsed YAML into a scenario: the JSON schema, then what a schema cannot say (ids
 * unique, every cycle plugs and unplugs each device exactly once, ports not shared). Pure.
 */
export function validateScenario(input: unknown, schema: object): ScenarioOutcome {
  let check = compiled.get(schema);
  if (!check) {
    // One Ajv per schema object: two loads of the same file carry the same $id.
    check = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(schema);
    compiled.set(schema, check);
  }
  const data: unknown = structuredClone(input ?? {});
  if (!check(data)) {
    return { ok: false, problems: (check.errors ?? []).map((e) => `${e.instancePath || "(top level)"}: ${e.message ?? e.keyword}`) };
  }
  const s = data as unknown as Omit<QemuScenario, "order"> & { order?: QemuScenario["order"] };
  const problems: string[] = [];
  const ids = s.devices.map((d) => d.id);
  if (new Set(ids).size !== ids.length) problems.push("devices: ids must be unique");
  const ports = s.devices.map((d) => d.port);
  if (new Set(ports).size !== ports.length) problems.push("devices: each device needs its own root port");
  const maxPort = Math.max(...ports);
  if (s.rootPorts !== undefined && s.rootPorts < maxPort) problems.push(`rootPorts ${s.rootPorts} < highest port used ${maxPort}`);
  const order = s.order ?? [{ plug: [...ids], unplug: [...ids].reverse() }];
  order.forEach((o, i) => {
    for (const key of ["plug", "unplug"] as const) {
      const list = o[key];
      if (list.length !== ids.length || new Set(list).size !== list.length || !list.every((x) => ids.includes(x))) {
        problems.push(`order[${i}].${key}: must name each device exactly once (${ids.join(", ")})`);
      }
    }
  });
  if (problems.length) return { ok: false, problems };
  return { ok: true, scenario: { ...s, order, rootPorts: s.rootPorts ?? maxPort } };
}
