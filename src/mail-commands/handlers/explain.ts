import type { CommandHandler } from "./command-handler.js";

export const explain: CommandHandler<"explain"> = async (cmd, h) => {
  const text = await h.ctx.explain(cmd.findingId, h.thread?.lineage ?? null);
  if (text === null) return { ok: false, text: `No finding ${cmd.findingId} is known.` };
  return { ok: true, text: `${cmd.findingId}:\n${text}` };
};
