import { needThread, requestOf, type CommandHandler } from "./command-handler.js";

export const ignore: CommandHandler<"ignore"> = async (cmd, h) => {
  if (!h.thread) return needThread;
  await h.ctx.ignore(
    { lineage: h.thread.lineage, findingId: cmd.findingId, reason: cmd.reason, by: h.sender, version: h.thread.version, at: h.now },
    requestOf(h, h.thread),
  );
  h.log.info({ lineage: h.thread.lineage, finding: cmd.findingId, by: h.sender }, "finding ignored");
  return { ok: true, text: `Ignoring ${cmd.findingId} on this and later revisions of this series (reason: ${cmd.reason}).` };
};
