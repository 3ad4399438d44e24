import { needThread, type CommandHandler } from "./command-handler.js";

export const quiet: CommandHandler<"quiet"> = async (_cmd, h) => {
  if (!h.thread) return needThread;
  await h.ctx.setQuiet(h.thread.lineage, h.sender, h.key);
  return { ok: true, text: "No more triage replies on this series; results stay visible with \"#irqtriage status\"." };
};
