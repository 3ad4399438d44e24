import { needThread, requestOf, type CommandHandler } from "./command-handler.js";

export const retest: CommandHandler<"retest"> = async (_cmd, h) => {
  if (!h.thread) return needThread;
  const { jobId } = await h.ctx.enqueueRetest(requestOf(h, h.thread));
  h.log.info({ lineage: h.thread.lineage, version: h.thread.version, jobId, by: h.sender }, "retest queued");
  return { ok: true, text: `Queued a retest of v${h.thread.version} of "${h.thread.title}" (job ${jobId}).` };
};
