import path from "node:path";
import type { Config } from "../config/config.js";
import type { RunTriageOutcome } from "../pipeline/run-triage.js";
import { optString } from "./args.js";
import type { ParsedArgs } from "./cli-command.js";

/** Flags shared by `run` and `demo` that override the config file. */
export function applyCommonOverrides(config: Config, args: ParsedArgs, cwd: string): void {
  const mirror = optString(args, "mirror");
  const outbox = optString(args, "outbox");
  const state = optString(args, "state");
  const branch = optString(args, "branch");
  if (state) config.stateDir = path.resolve(cwd, state);
  if (mirror) config.mirror.path = path.resolve(cwd, mirror);
  if (outbox) config.outbox = path.resolve(cwd, outbox);
  if (branch) config.mirror.branch = branch;
}

/** The human summary of a run: one block per series revision, then the recorded errors. */
export function printTriageSummary(o: RunTriageOutcome, out: NodeJS.WritableStream): void {
  out.write(`${o.messages} messages, ${o.result.series.length} series, ${o.replies.length} replies (${o.written.length} new)\n`);
  for (const s of o.result.series) {
    const first = s.revisions[0];
    out.write(`\nseries ${s.lineage}${first ? `: ${first.title}` : ""}\n`);
    for (const r of s.revisions) {
      const count = r.patches.length;
      const missing = r.missing.length ? `, missing ${r.missing.join(",")}` : "";
      out.write(
        `  ${r.rfc ? "RFC " : ""}v${r.version}: ${count} patch${count === 1 ? "" : "es"}${missing}, ` +
          `${r.reviews.length} replies, ${r.relevant ? "relevant" : "not relevant"}, apply ${r.apply.status}` +
          `${r.apply.failed ? ` (${r.apply.failed.file}: ${r.apply.failed.hunk})` : ""}\n`,
      );
      if (r.reply) out.write(`    reply: ${r.reply}\n`);
    }
  }
  if (o.result.errors.length) {
    out.write(`\n${o.result.errors.length} recorded problems:\n`);
    for (const e of o.result.errors) out.write(`  ${e.source}: ${e.message}\n`);
  }
}
