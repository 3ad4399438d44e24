import { InputError } from "../errors.js";
import type { ActorClassSpec, DomainSpec, OpKind, OpSpec, ScenarioSpec, SemanticsSpec, TopologySpec } from "./sim-types.js";

/** Op codes used by the engine's hot loop (numbers, not strings). */
export const OP = { create: 0, find: 1, dispose: 2, request: 3, free: 4, msiAlloc: 5, msiFree: 6 } as const;
const OP_CODE: Record<OpKind, number> = {
  create: OP.create,
  find: OP.find,
  dispose: OP.dispose,
  request: OP.request,
  free: OP.free,
  "msi-alloc": OP.msiAlloc,
  "msi-free": OP.msiFree,
};
const DEFAULT_API: Record<OpKind, string> = {
  create: "irq_create_mapping",
  find: "irq_find_mapping",
  dispose: "irq_dispose_mapping",
  request: "request_irq",
  free: "free_irq",
  "msi-alloc": "pci_alloc_irq_vectors",
  "msi-free": "pci_free_irq_vectors",
};

export interface CompiledOp {
  code: number;
  api: string;
  platform: boolean;
}

export interface CompiledProgram {
  plug: CompiledOp[];
  probe: CompiledOp[];
  remove: CompiledOp[];
  unplug: CompiledOp[];
  unwind: CompiledOp[];
}

export interface CompiledLine {
  domain: string;
  hwirq: number;
  /** "phb0-intx, 1" as in irq_create_mapping(phb0-intx, 1). */
  label: string;
  /** Levels outermost first, e.g. ["pci-msi 0x800", "its 0x2800", "gic 0x4800"]. */
  levels: string[];
  hierarchical: boolean;
  shared: boolean;
  intx: boolean;
  domainType: DomainSpec["type"];
}

export interface CompiledDevice {
  name: string;
  line: number;
  program: CompiledProgram;
  className: string;
  /** Index of the symmetry group (same class and same line). */
  group: number;
}

export interface CompiledModel {
  scenario: string;
  semantics: string;
  lines: CompiledLine[];
  devices: CompiledDevice[];
  /** [start, end) device index ranges of symmetry groups; devices are ordered by group. */
  groups: Array<[number, number]>;
  /**
   * Renamings of interchangeable lines (same domain, the same classes with the same numbers of
   * devices on them), identity left out: the model behaves the same after one, so the counting
   * abstraction also takes the least of a state's renamings. Empty when no two lines are
   * interchangeable or when there would be more than MAX_LINE_RENAMINGS.
   */
  lineSymmetries: LineSymmetry[];
  rounds: number;
  virqBase: number;
  /** Virq slots = distinct lines (each line has at most one live mapping at a time). */
  slots: number;
  createGet: boolean;
  disposePut: boolean;
  msiBypass: boolean;
  intxKref: boolean;
}

/** One renaming of lines: line l becomes lines[l]; device i moves to index devices[i]. */
export interface LineSymmetry {
  lines: number[];
  devices: number[];
}

/** Above this many renamings (4 interchangeable lines: 24) each state would cost too much to canonicalize. */
export const MAX_LINE_RENAMINGS = 6;

/** Limits of the packed state encoding (see explore.ts). */
export const LIMITS = { devices: 16, lines: 31, rounds: 7, probeOps: 8 } as const;

function compileOps(ops: OpSpec[] | undefined, defaultSite: "driver" | "platform"): CompiledOp[] {
  return (ops ?? []).map((o) => ({
    code: OP_CODE[o.op],
    api: o.api ?? DEFAULT_API[o.op],
    platform: (o.site ?? defaultSite) === "platform",
  }));
}

function compileProgram(cls: ActorClassSpec): CompiledProgram {
  return {
    plug: compileOps(cls.plug, "platform"),
    probe: compileOps(cls.probe, "driver"),
    remove: compileOps(cls.remove, "driver"),
    unplug: compileOps(cls.unplug, "platform"),
    unwind: compileOps(cls.unwind, "driver"),
  };
}

function hex(n: number): string {
  return n < 16 ? String(n) : "0x" + n.toString(16);
}

function resolveLine(ref: string, topology: TopologySpec, where: string): CompiledLine {
  const m = /^([A-Za-z0-9_.-]+)\/(0x[0-9a-fA-F]+|\d+)$/.exec(ref);
  if (!m) throw new InputError(`${where}: line "${ref}" is not "domain/hwirq"`, where);
  const domainName = m[1] as string;
  const hwirq = Number(m[2]);
  const byName = new Map(topology.domains.map((d) => [d.name, d]));
  const dom = byName.get(domainName);
  if (!dom) throw new InputError(`${where}: unknown domain "${domainName}" (known: ${[...byName.keys()].join(", ")})`, where);
  const first = dom.firstHwirq ?? 0;
  if (dom.size !== undefined && (hwirq < first || hwirq >= first + dom.size)) {
    throw new InputError(`${where}: hwirq ${hwirq} outside ${domainName} (${first}..${first + dom.size - 1})`, where);
  }
  const levels: string[] = [];
  let cur: DomainSpec | undefined = dom;
  let hw = hwirq;
  const seen = new Set<string>();
  while (cur) {
    if (seen.has(cur.name)) throw new InputError(`${where}: domain parent loop at ${cur.name}`, where);
    seen.add(cur.name);
    levels.push(`${cur.name} ${hex(hw)}`);
    hw += cur.parentHwirqOffset ?? 0;
    const parentName: string | undefined = cur.parent;
    cur = parentName ? byName.get(parentName) : undefined;
    if (parentName && !cur) throw new InputError(`${where}: unknown parent domain "${parentName}"`, where);
  }
  return {
    domain: domainName,
    hwirq,
    label: `${domainName}, ${hex(hwirq)}`,
    levels,
    hierarchical: dom.type === "hierarchy",
    shared: dom.shared ?? false,
    intx: dom.intx ?? false,
    domainType: dom.type,
  };
}

/**
 * Turn a scenario (data) into the engine's numeric model. Devices are ordered by symmetry group
 * (same class, same line) so that the counting abstraction can sort each group's slice.
 */
export function compileScenario(
  scenario: ScenarioSpec,
  semantics: SemanticsSpec,
  topology: TopologySpec,
  classes: Record<string, ActorClassSpec>,
): CompiledModel {
  const where = `scenario ${scenario.name}`;
  if (!Number.isInteger(scenario.rounds) || scenario.rounds < 1 || scenario.rounds > LIMITS.rounds) {
    throw new InputError(`${where}: rounds must be 1..${LIMITS.rounds}`, where);
  }
  const lines: CompiledLine[] = [];
  const lineIndex = new Map<string, number>();
  const groupKey = new Map<string, number>();
  const raw: Array<{ name: string; line: number; className: string; group: number; program: CompiledProgram }> = [];
  for (const d of scenario.devices) {
    const cls = classes[d.class];
    if (!cls) throw new InputError(`${where}: unknown balance class "${d.class}" (known: ${Object.keys(classes).join(", ")})`, where);
    const line = resolveLine(d.line, topology, `${where}, device ${d.name}`);
    const lk = `${line.domain}/${line.hwirq}`;
    let li = lineIndex.get(lk);
    if (li === undefined) {
      li = lines.length;
      lines.push(line);
      lineIndex.set(lk, li);
    }
    const program = compileProgram(cls);
    if (program.probe.length > LIMITS.probeOps) throw new InputError(`${where}: class ${d.class} has more than ${LIMITS.probeOps} probe ops`, where);
    const usesMsi = [...program.plug, ...program.probe].some((o) => o.code === OP.msiAlloc);
    const usesCreate = [...program.plug, ...program.probe].some((o) => o.code === OP.create);
    if (usesMsi && !line.hierarchical) throw new InputError(`${where}: device ${d.name} allocates MSI on non-hierarchical ${line.domain}`, where);
    if (usesCreate && line.hierarchical) throw new InputError(`${where}: device ${d.name} uses irq_create_mapping on hierarchical ${line.domain}; use msi-alloc`, where);
    const gk = `${d.class}\u0000${lk}`;
    let g = groupKey.get(gk);
    if (g === undefined) {
      g = groupKey.size;
      groupKey.set(gk, g);
    }
    const count = d.count ?? 1;
    for (let i = 0; i < count; i++) {
      raw.push({ name: count === 1 ? d.name : `${d.name}${i + 1}`, line: li, className: d.class, group: g, program });
    }
  }
  if (raw.length === 0) throw new InputError(`${where}: no devices`, where);
  if (raw.length > LIMITS.devices) throw new InputError(`${where}: at most ${LIMITS.devices} devices`, where);
  if (lines.length > LIMITS.lines) throw new InputError(`${where}: at most ${LIMITS.lines} lines`, where);
  const names = new Set<string>();
  for (const r of raw) {
    if (names.has(r.name)) throw new InputError(`${where}: duplicate device name ${r.name}`, where);
    names.add(r.name);
  }
  // Stable sort by group keeps the scenario's order inside a group (dev1 before dev2).
  const devices: CompiledDevice[] = raw
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.group - b.r.group || a.i - b.i)
    .map(({ r }) => ({ name: r.name, line: r.line, program: r.program, className: r.className, group: r.group }));
  const groups: Array<[number, number]> = [];
  for (let i = 0; i < devices.length; ) {
    let j = i + 1;
    while (j < devices.length && devices[j]?.group === devices[i]?.group) j++;
    groups.push([i, j]);
    i = j;
  }
  return {
    scenario: scenario.name,
    semantics: semantics.name,
    lines,
    devices,
    groups,
    lineSymmetries: lineSymmetries(lines, devices, groups),
    rounds: scenario.rounds,
    virqBase: topology.virqBase,
    slots: lines.length,
    createGet: semantics.core.createExisting === "get",
    disposePut: semantics.core.dispose === "put",
    msiBypass: semantics.core.msiFree === "bypass",
    intxKref: semantics.platformIntx === "kref-list",
  };
}

/**
 * Line renamings under which the model is the same: lines of one domain (so with the same
 * type, sharing and INTx handling) carrying the same classes with the same numbers of devices.
 * Only line identity (which slot a create finds) depends on the line; virq numbers do not move.
 */
function lineSymmetries(lines: CompiledLine[], devices: CompiledDevice[], groups: Array<[number, number]>): LineSymmetry[] {
  const groupsOf = lines.map(() => [] as number[]);
  groups.forEach(([a], g) => groupsOf[devices[a]?.line ?? 0]?.push(g));
  const sizeOf = (g: number): number => (groups[g] as [number, number])[1] - (groups[g] as [number, number])[0];
  const classOf = (g: number): string => devices[(groups[g] as [number, number])[0]]?.className ?? "";
  const key = (l: number): string =>
    JSON.stringify([lines[l]?.domain, (groupsOf[l] ?? []).map((g) => `${classOf(g)}\u0000${sizeOf(g)}`).sort()]);
  const byKey = new Map<string, number[]>();
  lines.forEach((_, l) => {
    const k = key(l);
    byKey.set(k, [...(byKey.get(k) ?? []), l]);
  });
  const classes = [...byKey.values()].filter((c) => c.length > 1);
  let count = 1;
  for (const c of classes) for (let i = 2; i <= c.length; i++) count *= i;
  if (classes.length === 0 || count > MAX_LINE_RENAMINGS) return [];
  // Every combination of a permutation inside each class of interchangeable lines.
  let maps: number[][] = [lines.map((_, l) => l)];
  for (const c of classes) {
    const next: number[][] = [];
    for (const m of maps) {
      for (const perm of permutations(c)) {
        const mm = [...m];
        c.forEach((l, i) => (mm[l] = perm[i] as number));
        next.push(mm);
      }
    }
    maps = next;
  }
  return maps
    .filter((m) => m.some((to, l) => to !== l))
    .map((m) => {
      const moved = devices.map((_, i) => i);
      for (let l = 0; l < lines.length; l++) {
        for (const g of groupsOf[l] ?? []) {
          const target = (groupsOf[m[l] as number] ?? []).find((h) => classOf(h) === classOf(g));
          const [a, b] = groups[g] as [number, number];
          const a2 = (groups[target as number] as [number, number])[0];
          for (let t = 0; t < b - a; t++) moved[a + t] = a2 + t;
        }
      }
      return { lines: m, devices: moved };
    });
}

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}
