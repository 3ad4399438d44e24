import { roleOf, rootFieldSpec, type BalanceRules, type RootSpec } from "./balance-rules.js";
import { parseC, type CNode, type CParser } from "./c-parser.js";
import type { FileFacts, FunctionFact, RootFact, SiteFact } from "./file-facts.js";

const identChar = /[A-Za-z0-9_]/;

/** irq_domain_ops pairs: the core calls the second to undo the first. */
const peerField: Record<string, string> = { alloc: "free", map: "unmap", free: "alloc", unmap: "map", domain_alloc_irqs: "domain_free_irqs", domain_free_irqs: "domain_alloc_irqs" };

/** Offsets where `word` occurs as a whole C identifier (the parse tree then says what it is). */
function wordOffsets(text: string, word: string): number[] {
  const out: number[] = [];
  let i = text.indexOf(word);
  while (i >= 0) {
    const before = i > 0 ? text[i - 1]! : " ";
    const after = text[i + word.length] ?? " ";
    if (!identChar.test(before) && !identChar.test(after)) out.push(i);
    i = text.indexOf(word, i + word.length);
  }
  return out;
}

/** Replace annotation macros with spaces of the same length, so lines and offsets are kept. */
export function blankTokens(text: string, tokens: string[]): string {
  if (!tokens.length) return text;
  const re = new RegExp(`\\b(?:${tokens.map((t) => t.replace(/[^A-Za-z0-9_]/g, "")).join("|")})\\b`, "g");
  return text.replace(re, (m) => " ".repeat(m.length));
}

/** Name declared by a function_definition (through pointer/parenthesized/attributed declarators). */
export function functionName(def: CNode): string | null {
  let d: CNode | null = def.childForFieldName("declarator");
  for (let guard = 0; d && guard < 8; guard++) {
    if (d.type === "function_declarator") {
      const inner = d.childForFieldName("declarator");
      if (inner?.type === "identifier") return inner.text;
      d = inner;
      continue;
    }
    if (d.type === "identifier") return d.text;
    d = d.childForFieldName("declarator") ?? d.namedChildren.find((c) => c.type.endsWith("declarator")) ?? null;
  }
  return null;
}

/**
 * The function a node is in: the OUTERMOST function_definition, because C has no nested functions
 * and `for_each_online_node(node) { int x; ... }` parses as one inside the real function.
 */
function enclosingFunction(node: CNode): CNode | null {
  let found: CNode | null = null;
  for (let n: CNode | null = node.parent; n; n = n.parent) if (n.type === "function_definition") found = n;
  return found;
}

function isStaticDef(def: CNode): boolean {
  return def.namedChildren.some((c) => c.type === "storage_class_specifier" && c.text === "static");
}

/** `X` is inside `range` (by offsets). */
function within(x: CNode, range: CNode | null): boolean {
  return !!range && x.startIndex >= range.startIndex && x.endIndex <= range.endIndex;
}

const errorCond = /\b(?:ret|err|error|rc|retval|rv|res|result|status|r|IS_ERR|IS_ERR_OR_NULL|WARN_ON|WARN_ON_ONCE|unlikely)\b|<\s*0/;

/** `if (!ret)`, `if (ret == 0)`: the success branch, not an error check. */
const successCond = /^\(\s*!\s*(?:ret|err|error|rc|retval|rv|res|result|status|r)\s*\)$|==\s*0\s*\)$/;

function prevNonComment(n: CNode): CNode | null {
  let p = n.previousNamedSibling;
  while (p && p.type === "comment") p = p.previousNamedSibling;
  return p;
}

/** The statement after a goto label that only gotos reach (the previous statement returns). */
function inGotoUnwind(call: CNode, body: CNode): boolean {
  let stmt: CNode | null = call;
  while (stmt && stmt.parent && stmt.parent.id !== body.id) stmt = stmt.parent;
  if (!stmt || stmt.parent?.id !== body.id) return false;
  for (let s: CNode | null = stmt; s; s = prevNonComment(s)) {
    if (s.type === "labeled_statement") {
      const before = prevNonComment(s);
      if (before && (before.type === "return_statement" || before.type === "goto_statement")) return true;
    }
  }
  return false;
}

interface Context {
  errorPath: boolean;
  inLoop: boolean;
  loopText: string;
  notifierActions: string[];
  refcounted: boolean;
}

function siteContext(call: CNode, def: CNode | null, rules: BalanceRules, loopMacro: RegExp): Context {
  const ctx: Context = { errorPath: false, inLoop: false, loopText: "", notifierActions: [], refcounted: false };
  const actionRe = /\b(?:BUS_NOTIFY_[A-Z_]+|OF_RECONFIG_[A-Z_]+)\b/g;
  const guardRe = rules.refcountGuards.length ? new RegExp(`\\b(?:${rules.refcountGuards.join("|")})\\b`) : null;
  let child: CNode = call;
  for (let n: CNode | null = call.parent; n && n.id !== def?.id; child = n, n = n.parent) {
    switch (n.type) {
      case "function_definition": {
        // A macro loop mis-parsed as a nested function: `for_each_node(node) { ... }`.
        const type = n.childForFieldName("type");
        if (!ctx.inLoop && type && loopMacro.test(type.text)) {
          ctx.inLoop = true;
          ctx.loopText = n.text;
        }
        break;
      }
      case "if_statement": {
        const cond = n.childForFieldName("condition");
        const cons = n.childForFieldName("consequence");
        if (within(child, cons) && cond) {
          const ct = cond.text;
          const acts = ct.match(actionRe);
          if (acts) ctx.notifierActions.push(...acts);
          if (guardRe?.test(ct)) ctx.refcounted = true;
          // `if (err) { undo; return err; }` or `if (err) undo;` right before `return err;`.
          // `if (ret) { pr_err(...); irq_dispose_mapping(irq); }` undoes a failed step even when it
          // falls through (mpc8610_hpcd.c), so an error test alone decides; `if (!ret)` does not.
          if (!acts && errorCond.test(ct) && !successCond.test(ct) && cons && !n.childForFieldName("alternative")) {
            ctx.errorPath = true;
          }
        }
        break;
      }
      case "case_statement": {
        // `case A: case B: stmt;` nests as empty case A then case B: collect the fallthrough labels.
        for (let c: CNode | null = n; c && c.type === "case_statement"; c = c.previousNamedSibling) {
          // An earlier case with statements of its own ends the fallthrough chain.
          if (c.id !== n.id && c.namedChildren.some((x) => x.type !== "comment" && x.id !== c!.childForFieldName("value")?.id)) break;
          const v = c.childForFieldName("value");
          const acts = v?.text.match(actionRe);
          if (acts) ctx.notifierActions.push(...acts);
        }
        break;
      }
      case "for_statement":
      case "while_statement":
      case "do_statement":
        if (!ctx.inLoop) {
          ctx.inLoop = true;
          ctx.loopText = n.text;
        }
        break;
      default:
        break;
    }
    // `list_for_each_entry(...) { ... }` parses as a call statement followed by a block.
    if (!ctx.inLoop && (n.type === "compound_statement" || n.type.endsWith("statement"))) {
      const prev = prevNonComment(n);
      const callee = prev?.type === "expression_statement" ? prev.namedChild(0) : null;
      if (callee?.type === "call_expression") {
        const fn = callee.childForFieldName("function");
        if (fn && loopMacro.test(fn.text) && !prev!.text.trimEnd().endsWith(";")) {
          ctx.inLoop = true;
          ctx.loopText = prev!.text + n.text;
        }
      }
    }
  }
  const body = def?.childForFieldName("body") ?? null;
  if (body && !ctx.errorPath && inGotoUnwind(call, body)) ctx.errorPath = true;
  return ctx;
}

function argTexts(call: CNode): string[] {
  const args = call.childForFieldName("arguments");
  if (!args) return [];
  return args.namedChildren.filter((a) => a.type !== "comment").map((a) => a.text.replace(/\s+/g, " ").trim());
}

/** The created value goes straight back to the caller: `return create(...)` or `x = create(); ... return x;`. */
function isReturned(call: CNode, def: CNode | null): boolean {
  let n: CNode | null = call.parent;
  while (n && (n.type === "parenthesized_expression" || n.type === "cast_expression")) n = n.parent;
  if (!n) return false;
  if (n.type === "return_statement") return true;
  let varName: string | null = null;
  if (n.type === "assignment_expression") {
    const left = n.childForFieldName("left");
    if (left?.type === "identifier") varName = left.text;
  } else if (n.type === "init_declarator") {
    const d = n.childForFieldName("declarator");
    if (d?.type === "identifier") varName = d.text;
  }
  // `ret = create(); if (ret < 0) return ret;` returns the error, not the mapping.
  if (!varName || !def || /^(?:ret|err|error|rc|retval|rv|status)$/.test(varName)) return false;
  const body = def.childForFieldName("body");
  if (!body) return false;
  const want = `return ${varName};`;
  return body.descendantsOfType("return_statement").some((r) => r.text.replace(/\s+/g, " ") === want);
}

/** Struct type and variable of the initializer a designated field sits in: "platform_driver foo_driver". */
function initializerOwner(pair: CNode): string {
  let n: CNode | null = pair.parent;
  while (n && n.type !== "declaration") n = n.parent;
  if (!n) return "?";
  const type = n.childForFieldName("type");
  const typeName = type?.childForFieldName("name")?.text ?? type?.text ?? "?";
  const decl = n.childForFieldName("declarator");
  const varName = decl?.childForFieldName("declarator")?.text ?? decl?.text ?? "?";
  return `${typeName} ${varName.replace(/\[.*$/, "")}`;
}

export interface ExtractOptions {
  /** Names defined in other files whose calls here should be followed to roots (cross-file pass). */
  externalSeeds?: ReadonlySet<string>;
}

/**
 * Parse one C file and extract its mapping-API facts. Pure (text in, data out); the parser is
 * passed in because creating one per file costs more than parsing a small file.
 */
export function extractFileFacts(
  file: string,
  source: string,
  rules: BalanceRules,
  parser: CParser,
  opts: ExtractOptions = {},
): FileFacts {
  const text = blankTokens(source, rules.ignoreTokens);
  const tree = parseC(parser, text);
  const root = tree.rootNode;
  const loopMacro = new RegExp(rules.loopMacroPattern);
  const lookupRe = rules.lookups.length ? new RegExp(`\\b(?:${rules.lookups.join("|")})\\s*\\(`) : null;
  const implemented = new Set(rules.families.flatMap((f) => [...f.create, ...f.release, ...f.related]));

  const sites: SiteFact[] = [];
  const functions = new Map<string, FunctionFact>();
  const roots: RootFact[] = [];
  const units = new Set<string>();
  const externalCalls: FileFacts["externalCalls"] = [];
  const work: string[] = [];

  const noteFunction = (def: CNode): string | null => {
    const name = functionName(def);
    if (!name) return null;
    if (!functions.has(name)) {
      functions.set(name, { name, line: def.startPosition.row + 1, isStatic: isStaticDef(def), callers: [], returnsMapping: false, refcountRelease: false });
      work.push(name);
    }
    return name;
  };

  /** Identifier node at `off` that is the callee of a call expression, or null. */
  const calleeAt = (off: number, len: number): { id: CNode; call: CNode } | null => {
    const id = root.descendantForIndex(off, off + len);
    if (id.type !== "identifier") return null;
    const call = id.parent;
    if (call?.type !== "call_expression") return null;
    if (call.childForFieldName("function")?.id !== id.id) return null;
    return { id, call };
  };

  for (const fam of rules.families) {
    for (const api of [...fam.create, ...fam.release]) {
      const role = roleOf(rules, api);
      if (!role) continue;
      for (const off of wordOffsets(text, api)) {
        const hit = calleeAt(off, api.length);
        if (!hit) continue;
        const def = enclosingFunction(hit.call);
        const fnName = def ? functionName(def) : null;
        // Calls inside the API's own implementation (irq_of_parse_and_map -> irq_create_of_mapping) are not uses.
        if (fnName && implemented.has(fnName)) continue;
        if (def) noteFunction(def);
        const ctx = siteContext(hit.call, def, rules, loopMacro);
        const args = argTexts(hit.call);
        const returned = role.role === "create" && isReturned(hit.call, def);
        if (returned && fnName) functions.get(fnName)!.returnsMapping = true;
        sites.push({
          api,
          family: role.family,
          role: role.role,
          line: hit.call.startPosition.row + 1,
          function: fnName,
          args,
          errorPath: ctx.errorPath,
          inLoop: ctx.inLoop,
          viaLookup: !!lookupRe && (args.some((a) => lookupRe.test(a)) || (ctx.inLoop && lookupRe.test(ctx.loopText))),
          notifierActions: [...new Set(ctx.notifierActions)],
          refcounted: ctx.refcounted,
          returned,
        });
      }
    }
  }

  // Calls to helpers defined in other files (cross-file pass): seed the walk from their callers.
  for (const name of opts.externalSeeds ?? []) {
    for (const off of wordOffsets(text, name)) {
      const hit = calleeAt(off, name.length);
      if (!hit) continue;
      const def = enclosingFunction(hit.call);
      const caller = def ? noteFunction(def) : null;
      const ctx = siteContext(hit.call, def, rules, loopMacro);
      externalCalls.push({ caller, callee: name, line: hit.call.startPosition.row + 1, errorPath: ctx.errorPath, actions: [...new Set(ctx.notifierActions)] });
    }
  }

  // Walk callers backwards from every function that holds a site, up to lifecycle roots.
  const named = (spec: RootSpec | undefined, fn: string, line: number, via: string): void => {
    if (spec) roots.push({ function: fn, kind: spec.kind, phase: spec.phase, line, via });
  };
  while (work.length) {
    const name = work.pop()!;
    const fact = functions.get(name)!;
    named(rules.namedRoots[name], name, fact.line, "called by name from the core");
    for (const off of wordOffsets(text, name)) {
      const id = root.descendantForIndex(off, off + name.length);
      if (id.type !== "identifier") continue;
      const parent = id.parent;
      if (!parent) continue;
      const line = id.startPosition.row + 1;
      if (parent.type === "call_expression" && parent.childForFieldName("function")?.id === id.id) {
        const def = enclosingFunction(parent);
        const caller = def ? noteFunction(def) : null;
        const ctx = siteContext(parent, def, rules, loopMacro);
        if (caller !== name) fact.callers.push({ caller, line, errorPath: ctx.errorPath, actions: [...new Set(ctx.notifierActions)] });
        // A root-registering call at file scope parses as a call statement too: fall through below.
        continue;
      }
      if (parent.type === "function_declarator") continue;
      // `.probe = foo_probe` (possibly `.probe = &foo_probe` or a cast).
      let v: CNode = id;
      while (v.parent && (v.parent.type === "pointer_expression" || v.parent.type === "cast_expression" || v.parent.type === "parenthesized_expression")) v = v.parent;
      const vp = v.parent;
      if (vp?.type === "initializer_pair") {
        const field = vp.childForFieldName("designator")?.text.replace(/^\./, "") ?? vp.namedChild(0)?.text.replace(/^\./, "") ?? "";
        const owner = initializerOwner(vp);
        const spec = rootFieldSpec(rules, owner.split(" ")[0] ?? "", field);
        if (spec) {
          units.add(owner);
          named(spec, name, line, `${owner.split(" ")[0]}.${field}`);
          roots[roots.length - 1]!.owner = owner;
          const want = peerField[field];
          const peer = want ? vp.parent?.namedChildren.find((c) => c.type === "initializer_pair" && c.childForFieldName("designator")?.text === `.${want}`) : undefined;
          const value = peer?.childForFieldName("value");
          if (peer && value) roots[roots.length - 1]!.peer = { field: want!, value: value.text, line: peer.startPosition.row + 1 };
        }
        continue;
      }
      if (vp?.type === "assignment_expression" && vp.childForFieldName("right")?.id === v.id) {
        const left = vp.childForFieldName("left");
        const field = left?.type === "field_expression" ? left.childForFieldName("field")?.text ?? "" : "";
        // `gc->to_irq = fn`: the struct type is not known here; unqualified or struct-less specs only.
        const spec = rules.rootFields[field];
        named(spec && !spec.structs ? spec : undefined, name, line, `->${field} =`);
        continue;
      }
      if (vp?.type === "argument_list" && vp.parent?.type === "call_expression") {
        const callee = vp.parent.childForFieldName("function")?.text ?? "";
        const spec = rules.rootCalls[callee];
        const index = vp.namedChildren.filter((c) => c.type !== "comment").findIndex((c) => c.id === v.id);
        if (spec && spec.arg === index) {
          named(spec, name, line, callee);
          // A kref release callback runs where kref_put runs: that call is its caller.
          if (spec.phase === "refcounted") {
            const def = enclosingFunction(vp.parent);
            const caller = def ? noteFunction(def) : null;
            const ctx = siteContext(vp.parent, def, rules, loopMacro);
            fact.callers.push({ caller, line, errorPath: ctx.errorPath, actions: [...new Set(ctx.notifierActions)] });
            fact.refcountRelease = true;
          }
        }
        continue;
      }
    }
    // K&R-shaped `module_init(foo_init);` puts foo_init in a type_identifier, which is not an identifier.
    for (const off of wordOffsets(text, name)) {
      const n = root.descendantForIndex(off, off + name.length);
      if (n.type !== "type_identifier") continue;
      const fd = n.parent?.parent?.parent;
      if (fd?.type !== "function_declarator") continue;
      const callee = fd.childForFieldName("declarator")?.text ?? "";
      const spec = rules.rootCalls[callee];
      if (spec) named(spec, name, n.startPosition.row + 1, callee);
    }
  }

  return { file, functions: [...functions.values()], sites, roots, externalCalls, units: [...units], parseErrors: root.hasError };
}
