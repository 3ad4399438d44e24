import { InputError } from "../errors.js";
import type { ScenarioSpec, TopologySpec } from "./sim-types.js";

export interface SharedLsiParams {
  devices: number;
  lines: number;
  rounds: number;
  /** Balance class of every device (rules/sim/actors.yaml). */
  driver: string;
  /** Legacy INTx domain; default the first domain with `intx: true`. */
  domain?: string;
}

/**
 * The built-in `shared-lsi` scenario: N PCI functions on L shared legacy lines of one host
 * bridge, device i (0-based) on line i mod L, each plugged, probed and unplugged up to R times.
 */
export function buildSharedLsi(p: SharedLsiParams, topology: TopologySpec): ScenarioSpec {
  const dom = p.domain ? topology.domains.find((d) => d.name === p.domain) : topology.domains.find((d) => d.intx);
  if (!dom) throw new InputError("shared-lsi: no legacy INTx domain in the topology", "shared-lsi");
  const size = dom.size ?? 4;
  const first = dom.firstHwirq ?? 0;
  if (!Number.isInteger(p.devices) || p.devices < 1) throw new InputError("--devices must be a positive integer", "shared-lsi");
  if (!Number.isInteger(p.lines) || p.lines < 1 || p.lines > size) throw new InputError(`--lines must be 1..${size} (${dom.name} has ${size} lines)`, "shared-lsi");
  if (!Number.isInteger(p.rounds) || p.rounds < 1) throw new InputError("--rounds must be a positive integer", "shared-lsi");
  const devices = Array.from({ length: p.devices }, (_, i) => ({
    name: `dev${i + 1}`,
    class: p.driver,
    line: `${dom.name}/${first + (i % p.lines)}`,
  }));
  return {
    name: "shared-lsi",
    description: `${p.devices} device(s) on ${p.lines} shared line(s) of ${dom.name}, ${p.rounds} plug round(s), driver ${p.driver}`,
    rounds: p.rounds,
    devices,
  };
}
