import { needThread, type CommandHandler } from "./command-handler.js";

export const retest: CommandHandler<"retest"> = async (_cmd, h) => {
  if (!h.thread) return needThread;
  const { jobId } = await h.ctx.enqueueRetest(h.thread.lineage, h.thread.version, h.key);
  h.log.info({ lineage: h.thread.lineage, version: h.thread.version, jobId, by: h.sender }, "retest queued");
  return { ok: true, text: `Queued a retest of v${h.thread.version} of "${h.thread.title}" (job ${jobId}).` };
};
