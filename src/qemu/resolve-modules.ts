/**
 * Which .ko files a scenario needs, with their dependencies first. Pure: takes the text of
 * modules.dep and modules.builtin of the guest kernel's module tree.
 */
export interface ModuleResolution {
  /** Paths relative to /lib/modules/<release>/, in load order (dependencies first). */
  load: string[];
  /** Requested modules that are built into the kernel (nothing to load). */
  builtin: string[];
  /** Requested modules that are neither built in nor in modules.dep. */
  missing: string[];
}

/** "virtio-net" and "virtio_net" name the same module; the file name decides. */
export function moduleName(pathOrName: string): string {
  const base = pathOrName.split("/").pop() ?? pathOrName;
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, "").replace(/-/g, "_");
}

export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const map = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    map.set(moduleName(path), { path, deps });
  }
  return map;
}

export function resolveModules(wanted: readonly string[], modulesDep: string, modulesBuiltin: string): ModuleResolution {
  const dep = parseModulesDep(modulesDep);
  const builtinSet = new Set(
    modulesBuiltin
      .split("\n")
      .filter(Boolean)
      .map((l) => moduleName(l.trim())),
  );
  const load: string[] = [];
  const seen = new Set<string>();
  const builtin: string[] = [];
  const missing: string[] = [];
  // Depth-first, dependencies before the module itself: a topological order of the dep graph.
  const visit = (name: string, stack: string[]): void => {
    if (seen.has(name)) return;
    const entry = dep.get(name);
    if (!entry) return;
    if (stack.includes(name)) throw new Error(`module dependency cycle: ${[...stack, name].join(" -> ")}`);
    for (const d of entry.deps) visit(moduleName(d), [...stack, name]);
    seen.add(name);
    load.push(entry.path);
  };
  for (const w of wanted) {
    const name = moduleName(w);
    if (dep.has(name)) visit(name, []);
    else if (builtinSet.has(name)) builtin.push(name);
    else missing.push(name);
  }
  return { load, builtin, missing };
}
