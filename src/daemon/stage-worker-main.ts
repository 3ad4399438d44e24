import { pino } from "pino";
import { LocalGitMirror } from "../kernel/io/local-git-mirror.js";
import { defaultStage } from "../pipeline/stage-registry.js";
import type { PipelineStage } from "../pipeline/stage-registry.js";
import type { StageWorkerReply, StageWorkerRequest } from "./stage-worker.js";

/**
 * The helper-process side of StageWorker: runs default stages for the daemon and answers with
 * their output. Logs go back to the daemon line by line, where they are written through the
 * job's logger (with its bindings). The daemon decides when this process ends: it closes the
 * IPC channel (or dies, which closes it too); signals meant for the daemon's process group
 * (Ctrl-C, a service manager's SIGTERM) do not cut a stage short.
 */
if (!process.send) throw new Error("stage-worker-main runs as a child process with an IPC channel");
const port = { postMessage: (m: StageWorkerReply): void => void process.send?.(m) };
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);
process.on("disconnect", () => process.exit(0));
// One instance per stage for the life of the helper (the balance stage caches its scan).
const stages = new Map<string, PipelineStage | null>();

process.on("message", (req: StageWorkerRequest) => {
  void (async () => {
    const send = (reply: StageWorkerReply): void => port.postMessage(reply);
    try {
      if (!stages.has(req.stage)) stages.set(req.stage, defaultStage(req.stage));
      const stage = stages.get(req.stage);
      if (!stage) throw new Error(`no stage "${req.stage}" in the stage worker`);
      const log = pino({ level: req.level, base: null, timestamp: false }, { write: (line: string) => send({ type: "log", id: req.id, line }) });
      const mirror = req.input.mirror ? new LocalGitMirror({ path: req.input.mirror, log }) : null;
      const output = await stage.run({ ...req.input, mirror, log });
      send({ type: "done", id: req.id, output });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ type: "failed", id: req.id, error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } });
    }
  })();
});
