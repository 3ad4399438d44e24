import type { BalanceRules } from "./balance-rules.js";
import type { FileFacts, SiteFact } from "./file-facts.js";
import type { BalanceClass, Confidence, Finding, SiteRef } from "./scan-result.js";

/** How a site is reached: from which root, on which path. */
export interface PathTag {
  phase: "setup" | "teardown" | "repeat" | "unknown";
  error: boolean;
  kind: string;
  root: string | null;
  refcounted: boolean;
  actions: string[];
  /** The struct initializer of a struct-field root ("platform_driver foo_driver"). */
  owner?: string;
  /** For irq_domain_ops roots: the counterpart field (.free of an .alloc) the core calls. */
  peer?: { field: string; value: string; line: number };
}

interface Node {
  file: string;
  name: string;
  callers: { key: string | null; line: number; errorPath: boolean; actions: string[] }[];
  roots: { kind: string; phase: string; owner?: string; peer?: { field: string; value: string; line: number } }[];
  refcountRelease: boolean;
}

/** Order of importance in reports: the worst imbalance first. */
export const classOrder: BalanceClass[] = [
  "shared-dispose",
  "create-twice-dispose-once",
  "dispose-unowned",
  "never-disposes",
  "error-path-only",
  "balanced",
  "library",
];

const key = (file: string, fn: string): string => `${file}\u0000${fn}`;

/** Build the call graph over all files: in-file caller edges plus cross-file calls to exported helpers. */
function buildGraph(facts: FileFacts[]): Map<string, Node> {
  const nodes = new Map<string, Node>();
  const exported = new Map<string, string[]>();
  for (const f of facts) {
    for (const fn of f.functions) {
      nodes.set(key(f.file, fn.name), {
        file: f.file,
        name: fn.name,
        callers: fn.callers.map((c) => ({ ...c, key: c.caller === null ? null : key(f.file, c.caller) })),
        roots: [],
        refcountRelease: fn.refcountRelease,
      });
      if (!fn.isStatic) exported.set(fn.name, [...(exported.get(fn.name) ?? []), f.file]);
    }
  }
  for (const f of facts) {
    for (const r of f.roots) nodes.get(key(f.file, r.function))?.roots.push({ kind: r.kind, phase: r.phase, ...(r.owner ? { owner: r.owner } : {}), ...(r.peer ? { peer: r.peer } : {}) });
  }
  for (const f of facts) {
    for (const x of f.externalCalls) {
      for (const file of exported.get(x.callee) ?? []) {
        if (file === f.file) continue;
        nodes.get(key(file, x.callee))?.callers.push({ ...x, key: x.caller === null ? null : key(f.file, x.caller) });
      }
    }
  }
  return nodes;
}

function phaseOf(rootPhase: string, actions: string[], rules: BalanceRules): PathTag["phase"] {
  if (rootPhase === "setup" || rootPhase === "teardown" || rootPhase === "repeat") return rootPhase;
  if (rootPhase === "notifier") {
    if (actions.some((a) => rules.notifierActions.teardown.includes(a))) return "teardown";
    if (actions.some((a) => rules.notifierActions.setup.includes(a))) return "setup";
  }
  return "unknown";
}

/** Every root a site's function reaches through its callers (bounded; cycles cut). */
function tagsFor(site: SiteFact, file: string, nodes: Map<string, Node>, rules: BalanceRules): PathTag[] {
  const tags: PathTag[] = [];
  if (site.function === null) return [{ phase: "unknown", error: site.errorPath, kind: "?", root: null, refcounted: site.refcounted, actions: site.notifierActions }];
  const seen = new Set<string>();
  const stack: { k: string; error: boolean; refcounted: boolean; actions: string[] }[] = [
    { k: key(file, site.function), error: site.errorPath, refcounted: site.refcounted, actions: site.notifierActions },
  ];
  let steps = 0;
  while (stack.length && steps++ < 2000) {
    const cur = stack.pop()!;
    const memo = `${cur.k}|${cur.error}|${cur.refcounted}|${cur.actions.join()}`;
    if (seen.has(memo)) continue;
    seen.add(memo);
    const node = nodes.get(cur.k);
    if (!node) continue;
    const refcounted = cur.refcounted || node.refcountRelease;
    for (const r of node.roots) {
      if (r.phase === "refcounted") continue;
      tags.push({ phase: phaseOf(r.phase, cur.actions, rules), error: cur.error, kind: r.kind, root: node.name, refcounted, actions: cur.actions, ...(r.owner && node.file === file ? { owner: r.owner } : {}), ...(r.peer ? { peer: r.peer } : {}) });
    }
    if (node.roots.some((r) => r.phase !== "refcounted")) continue;
    const callers = node.callers.filter((c) => c.key !== null);
    if (!callers.length) {
      tags.push({ phase: "unknown", error: cur.error, kind: "?", root: node.name, refcounted, actions: cur.actions });
    }
    for (const c of callers) {
      stack.push({ k: c.key!, error: cur.error || c.errorPath, refcounted, actions: [...new Set([...cur.actions, ...c.actions])] });
    }
  }
  return tags;
}

interface SiteView {
  site: SiteFact;
  file: string;
  tags: PathTag[];
  /** Only ever reached on an error-unwind path. */
  errorOnly: boolean;
}

function pathLabel(v: SiteView): string {
  const live = v.tags.filter((t) => !t.error);
  const shown = (live.length ? live : v.tags).map((t) => {
    const base = t.kind === "?" ? "unknown" : t.kind;
    const act = t.actions.length && t.kind === "notifier" ? `:${t.actions.join("|")}` : "";
    return `${base}${act}${t.refcounted ? "(refcounted)" : ""}`;
  });
  const uniq = [...new Set(shown)].slice(0, 3).join(",");
  return v.errorOnly ? `error-unwind(${uniq})` : uniq;
}

function ref(v: SiteView): SiteRef {
  return { file: v.file, line: v.site.line, function: v.site.function ?? "?", api: v.site.api, path: pathLabel(v) };
}

const sameArgs = (a: SiteFact, b: SiteFact): boolean => a.api === b.api && a.args.join(",") === b.args.join(",");

/**
 * Classify every unit (one file's use of one API family) from the facts. Pure. `onlyFiles`
 * limits the output (delta mode) while still using every file for roots across files.
 */
export function classifyUnits(facts: FileFacts[], rules: BalanceRules, onlyFiles?: ReadonlySet<string>): Finding[] {
  const nodes = buildGraph(facts);
  const findings: Finding[] = [];
  for (const f of facts) {
    if (onlyFiles && !onlyFiles.has(f.file)) continue;
    if (rules.excludePaths.some((p) => f.file.startsWith(p))) continue;
    const byFamily = new Map<string, SiteView[]>();
    for (const s of f.sites) {
      const tags = tagsFor(s, f.file, nodes, rules);
      const v: SiteView = { site: s, file: f.file, tags, errorOnly: s.errorPath || (tags.length > 0 && tags.every((t) => t.error)) };
      byFamily.set(s.family, [...(byFamily.get(s.family) ?? []), v]);
    }
    for (const [family, views] of byFamily) {
      for (const [owner, part] of splitByDriver(views)) {
        const finding = classifyUnit(f, family, part, owner);
        if (finding) findings.push(finding);
      }
    }
  }
  return sortFindings(findings);
}

const driverKinds = new Set(["probe", "remove", "shutdown"]);

/**
 * A file with two drivers (mpc85xx_edac.c: the PCI and the L2 error drivers) holds two units:
 * sites reached only from one driver's probe/remove belong to it; the rest stay with the file.
 */
function splitByDriver(views: SiteView[]): Map<string | null, SiteView[]> {
  const ownersOf = (v: SiteView): Set<string> => new Set(v.tags.filter((t) => t.owner && driverKinds.has(t.kind)).map((t) => t.owner!));
  const all = new Set(views.flatMap((v) => [...ownersOf(v)]));
  if (all.size < 2) return new Map([[null, views]]);
  const parts = new Map<string | null, SiteView[]>();
  for (const v of views) {
    const o = ownersOf(v);
    const k = o.size === 1 ? [...o][0]! : null;
    parts.set(k, [...(parts.get(k) ?? []), v]);
  }
  return parts;
}

export function sortFindings(findings: Finding[]): Finding[] {
  const conf: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };
  return findings.sort(
    (a, b) => classOrder.indexOf(a.class) - classOrder.indexOf(b.class) || conf[a.confidence] - conf[b.confidence] || a.unit.localeCompare(b.unit),
  );
}

const domainKinds = new Set(["domain-alloc", "domain-free", "domain-map", "domain-unmap"]);
/** APIs that create a mapping in a domain the caller names by hwirq (its own domain, typically). */
const ownDomainCreates = new Set(["irq_create_mapping", "irq_create_mapping_affinity", "irq_create_direct_mapping", "irq_create_strict_mappings"]);

/** Reached only from irq_domain_ops callbacks: the irqdomain core pairs .alloc/.free itself. */
const domainInternal = (v: SiteView): boolean => v.tags.length > 0 && v.tags.every((t) => domainKinds.has(t.kind));

function classifyUnit(f: FileFacts, family: string, views: SiteView[], owner: string | null): Finding | null {
  const allCreates = views.filter((v) => v.site.role === "create");
  const allReleases = views.filter((v) => v.site.role === "release");
  if (!allCreates.length && !allReleases.length) return null;
  // Hierarchy plumbing (.alloc calling irq_domain_alloc_irqs_parent, .free the parent's free) is
  // balanced by the core through the ops pair; judge the unit on what it does outside it.
  let creates = allCreates.filter((v) => !domainInternal(v));
  let releases = allReleases.filter((v) => !domainInternal(v));
  const opsPaired = (vs: SiteView[]): boolean => vs.length > 0 && vs.every((v) => v.tags.some((t) => t.peer));
  const internalC = allCreates.filter(domainInternal);
  const internalR = allReleases.filter(domainInternal);
  let cls: BalanceClass | null = null;
  let reason = "";
  if (!creates.length && !releases.length) {
    if (opsPaired(internalC) || opsPaired(internalR)) {
      cls = "balanced";
      reason = "irq_domain_ops callbacks only: the irqdomain core pairs .alloc/.map with .free/.unmap";
    } else {
      creates = allCreates;
      releases = allReleases;
    }
  }
  const liveCreates = creates.filter((v) => !v.errorOnly);
  const liveReleases = releases.filter((v) => !v.errorOnly);

  const perDevice = (v: SiteView): boolean => !v.site.refcounted && v.tags.some((t) => !t.refcounted && t.kind === "notifier" && t.phase === "teardown");
  const ownsDomain = allCreates.some((v) => ownDomainCreates.has(v.site.api));
  const lookupDispose = (v: SiteView): boolean => !v.site.refcounted && v.site.viaLookup && !ownsDomain;
  const shared = liveReleases.filter((v) => perDevice(v) || lookupDispose(v));
  const repeat = liveCreates.filter((v) => v.tags.some((t) => t.phase === "repeat"));
  const dup = liveCreates.filter((v, i) => liveCreates.some((w, j) => j !== i && sameArgs(v.site, w.site)));

  if (cls) {
    // decided above (ops pairing)
  } else if (shared.length) {
    cls = "shared-dispose";
    reason = shared.some(perDevice)
      ? "disposes per device in a bus notifier a mapping other devices may share (create is idempotent, dispose destroys)"
      : "disposes every mapping the domain holds (looked up by hwirq), including ones other code created";
  } else if (!creates.length) {
    cls = "dispose-unowned";
    reason = "disposes a virq that no code in this unit created";
  } else if (!releases.length) {
    if (creates.every((v) => v.site.returned && v.tags.every((t) => t.phase === "unknown"))) {
      cls = "library";
      reason = "creates and hands the virq back to its caller, which owns it";
    } else {
      cls = "never-disposes";
      reason = "creates a mapping and never disposes it";
    }
  } else if (!liveReleases.length) {
    cls = "error-path-only";
    reason = "disposes only when setup fails; nothing disposes on remove/exit";
  } else if (repeat.length || (dup.length && dup.length > liveReleases.length)) {
    cls = "create-twice-dispose-once";
    reason = repeat.length
      ? "creates on every lookup (to_irq-style callback) and disposes once"
      : "creates the same mapping from more places than it disposes it";
  } else {
    cls = "balanced";
    reason = "creates on setup and disposes on teardown";
  }

  const shownC = creates.length ? creates : internalC;
  const shownR = releases.length ? releases : internalR;
  const all = [...shownC, ...shownR];
  const unknown = all.filter((v) => v.tags.every((t) => t.phase === "unknown")).length;
  let confidence: Confidence = unknown === 0 ? "high" : unknown < all.length ? "medium" : "low";
  if (f.parseErrors && all.some((v) => v.site.function === null)) confidence = "low";

  const createRefs = shownC.map(ref);
  const releaseRefs = (cls === "shared-dispose" ? [...shared, ...shownR.filter((v) => !shared.includes(v))] : shownR).map(ref);
  // Ops pairing: show the counterpart field as the other side's evidence.
  if (cls === "balanced" && (!releaseRefs.length || !createRefs.length)) {
    for (const v of [...internalC, ...internalR]) {
      for (const t of v.tags) {
        if (!t.peer) continue;
        const side = v.site.role === "create" ? releaseRefs : createRefs;
        if (!side.some((r) => r.line === t.peer!.line)) side.push({ file: f.file, line: t.peer.line, function: t.peer.value, api: `.${t.peer.field}`, path: "irq_domain_ops (core calls it)" });
      }
    }
  }
  const driver = owner?.split(" ")[1];
  return {
    id: `${family}:${f.file}${driver ? `#${driver}` : ""}`,
    class: cls,
    unit: driver ? `${f.file} (${driver})` : f.file,
    family,
    create: createRefs,
    release: releaseRefs,
    confidence,
    reason,
    ...(owner ? { drivers: [owner] } : f.units.length ? { drivers: f.units } : {}),
  };
}
