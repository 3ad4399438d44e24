import { needThread, requestOf, type CommandHandler } from "./command-handler.js";

export const quiet: CommandHandler<"quiet"> = async (_cmd, h) => {
  if (!h.thread) return needThread;
  await h.ctx.setQuiet(requestOf(h, h.thread));
  return { ok: true, text: "No more triage replies on this series; results stay visible with \"#irqtriage status\"." };
};
