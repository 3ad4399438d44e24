import { checkRefName } from "./check-ref-name.js";

/** The shape of finding ids given by the analysis part; one place to change it. */
export const findingIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

export type Command =
  | { verb: "retest" }
  | { verb: "test"; tree: string; ref: string }
  | { verb: "status" }
  | { verb: "explain"; findingId: string }
  | { verb: "ignore"; findingId: string; reason: string }
  | { verb: "quiet" }
  | { verb: "help" };

export type Verb = Command["verb"];

/** One `#irqtriage` line (with its continuation) and what became of it. */
export type CommandItem =
  | { kind: "command"; line: number; command: Command }
  /** Understood as a command line but invalid; `error` is safe to quote back (no mail text in it). */
  | { kind: "invalid"; line: number; error: string }
  /** Beyond the per-mail cap. */
  | { kind: "too-many"; line: number };

export interface ParseCommandsOptions {
  /** Configured tree names (the only ones `test` accepts). */
  trees: readonly string[];
  /** Commands answered per mail. */
  maxCommands: number;
}

const verbs: readonly Verb[] = ["retest", "test", "status", "explain", "ignore", "quiet", "help"];
const arity: Record<Exclude<Verb, "ignore">, number> = { retest: 0, test: 2, status: 0, explain: 1, quiet: 0, help: 0 };
const commandStart = /^#irqtriage(?=\s|$)/i;
const maxReason = 500;

/**
 * Find the `#irqtriage <verb> ...` lines of a mail body and validate them. Pure.
 *
 * - A command starts a line; quoted lines (">") and everything after the signature separator
 *   ("-- ") are ignored, so quoting someone's command never repeats it.
 * - Wrapped lines are tolerated: a verb that still lacks arguments takes them from the next line
 *   of the same paragraph, and `ignore`'s reason runs to the end of its paragraph (mail clients
 *   wrap long reasons at 72 columns without indenting).
 * - Arguments are validated strictly here, before anything can act on them.
 */
export function parseCommands(body: string, opts: ParseCommandsOptions): CommandItem[] {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const end = lines.findIndex((l) => /^-- ?$/.test(l));
  const usable = end === -1 ? lines : lines.slice(0, end);
  const isQuoted = (l: string) => /^\s*>/.test(l);
  const isCommand = (l: string) => commandStart.test(l);
  /** Lines that may continue the command on line i: same paragraph, not quoted, not a command. */
  const continuation = (i: number): number[] => {
    const out: number[] = [];
    for (let j = i + 1; j < usable.length; j++) {
      const l = usable[j] ?? "";
      if (l.trim() === "" || isQuoted(l) || isCommand(l)) break;
      out.push(j);
    }
    return out;
  };

  const items: CommandItem[] = [];
  let count = 0;
  for (let i = 0; i < usable.length; i++) {
    const text = usable[i] ?? "";
    if (!isCommand(text)) continue;
    const line = i + 1;
    count++;
    if (count > opts.maxCommands) {
      items.push({ kind: "too-many", line });
      continue;
    }
    const tokens = text.replace(commandStart, "").trim().split(/\s+/).filter(Boolean);
    const verbText = tokens.shift();
    if (verbText === undefined) {
      items.push({ kind: "invalid", line, error: "no command after #irqtriage" });
      continue;
    }
    const verb = verbs.find((v) => v === verbText.toLowerCase());
    if (!verb) {
      items.push({ kind: "invalid", line, error: "unknown command" });
      continue;
    }
    const cont = continuation(i);
    if (verb === "ignore") {
      const rest = [...tokens, ...cont.flatMap((j) => (usable[j] ?? "").trim().split(/\s+/))].filter(Boolean);
      i = cont.at(-1) ?? i;
      items.push(validateIgnore(rest, line));
      continue;
    }
    const want = arity[verb];
    // A wrapped command: take the missing arguments from the next line of the paragraph.
    if (tokens.length < want && cont[0] !== undefined) {
      tokens.push(...(usable[cont[0]] ?? "").trim().split(/\s+/).filter(Boolean));
      i = cont[0];
    }
    // Shell-looking text ("'main;rm -rf /'") splits into several words: name the real problem.
    if (verb === "test" && tokens.slice(1).some((t) => !checkRefName(t).ok)) {
      const bad = tokens.slice(1).map(checkRefName).find((r) => !r.ok);
      items.push({ kind: "invalid", line, error: `refused branch or commit: ${bad && !bad.ok ? bad.reason : "unsafe"}` });
      continue;
    }
    if (tokens.length !== want) {
      items.push({
        kind: "invalid",
        line,
        error: `"${verb}" takes ${want === 0 ? "no arguments" : `${want} argument${want > 1 ? "s" : ""}`} (see "#irqtriage help")`,
      });
      continue;
    }
    items.push(validateFixed(verb, tokens, line, opts));
  }
  return items;
}

function validateFixed(verb: Exclude<Verb, "ignore">, args: string[], line: number, opts: ParseCommandsOptions): CommandItem {
  switch (verb) {
    case "test": {
      const [tree = "", ref = ""] = args;
      if (!opts.trees.includes(tree)) {
        const known = opts.trees.length ? `configured trees: ${opts.trees.join(", ")}` : "no trees are configured";
        return { kind: "invalid", line, error: `unknown tree name (${known})` };
      }
      const r = checkRefName(ref);
      if (!r.ok) return { kind: "invalid", line, error: `refused branch or commit: ${r.reason}` };
      return { kind: "command", line, command: { verb, tree, ref } };
    }
    case "explain": {
      const id = args[0] ?? "";
      if (!findingIdPattern.test(id)) return { kind: "invalid", line, error: "not a finding id" };
      return { kind: "command", line, command: { verb, findingId: id } };
    }
    default:
      return { kind: "command", line, command: { verb } };
  }
}

function validateIgnore(args: string[], line: number): CommandItem {
  const [id = "", ...reasonWords] = args;
  if (!findingIdPattern.test(id)) return { kind: "invalid", line, error: "not a finding id" };
  // Control characters never reach a reply or the store; the reason is free text otherwise.
  // eslint-disable-next-line no-control-regex
  const reason = reasonWords.join(" ").replace(/[\x00-\x1f\x7f]/g, "").trim();
  if (!reason) return { kind: "invalid", line, error: '"ignore" needs a reason: #irqtriage ignore <finding-id> <reason>' };
  if (reason.length > maxReason) return { kind: "invalid", line, error: `the reason is longer than ${maxReason} characters` };
  return { kind: "command", line, command: { verb: "ignore", findingId: id, reason } };
}
