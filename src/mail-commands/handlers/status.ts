import { needThread, type CommandHandler } from "./command-handler.js";

export const status: CommandHandler<"status"> = async (_cmd, h) => {
  if (!h.thread) return needThread;
  const s = await h.ctx.statusOf(h.thread.lineage);
  if (!s) return { ok: false, text: `No triage recorded yet for "${h.thread.title}".` };
  const lines = [`Status of "${s.title}":`];
  for (const r of s.revisions) {
    const n = r.findings === null ? "" : `, ${r.findings} finding${r.findings === 1 ? "" : "s"}`;
    lines.push(`- v${r.version}: ${r.state}${n}`);
  }
  if (s.quiet) lines.push("- replies are off for this series (quiet)");
  for (const i of s.ignores) lines.push(`- ignored ${i.findingId} (by ${i.by} on v${i.version}: ${i.reason})`);
  return { ok: true, text: lines.join("\n") };
};
