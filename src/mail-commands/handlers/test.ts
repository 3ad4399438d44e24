import { checkRefName } from "../check-ref-name.js";
import { needThread, requestOf, type CommandHandler } from "./command-handler.js";

export const test: CommandHandler<"test"> = async (cmd, h) => {
  if (!h.thread) return needThread;
  // Checked again here, not only in the parser: the handler is what hands them to a job.
  const tree = h.config.trees.find((t) => t.name === cmd.tree);
  if (!tree || !checkRefName(cmd.ref).ok) return { ok: false, text: "Refused: unknown tree or unsafe branch name." };
  const { jobId } = await h.ctx.enqueueTest({ ...requestOf(h, h.thread), tree, ref: cmd.ref });
  h.log.info({ lineage: h.thread.lineage, version: h.thread.version, tree: tree.name, ref: cmd.ref, jobId }, "test queued");
  return { ok: true, text: `Testing v${h.thread.version} on ${tree.name} ${cmd.ref} (job ${jobId}); the result follows in this thread.` };
};
