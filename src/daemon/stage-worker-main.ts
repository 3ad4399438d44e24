import { pino } from "pino";
import { defaultStages } from "../triage/default-stages.js";
import type { RevisionStage } from "../triage/revision-stage.js";
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
let stages: Promise<Map<string, RevisionStage>> | null = null;

process.on("message", (req: StageWorkerRequest) => {
  void (async () => {
    const send = (reply: StageWorkerReply): void => port.postMessage(reply);
    try {
      stages ??= defaultStages(req.input.config).then((all) => new Map(all.map((s) => [s.name, s])));
      const stage = (await stages).get(req.stage);
      if (!stage) throw new Error(`no stage "${req.stage}" in the stage worker`);
      const log = pino({ level: req.level, base: null, timestamp: false }, { write: (line: string) => send({ type: "log", id: req.id, line }) });
      const output = await stage.run({ ...req.input, log });
      send({ type: "done", id: req.id, output });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ type: "failed", id: req.id, error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } });
    }
  })();
});
