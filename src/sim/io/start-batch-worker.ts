import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { ExternalError, InputError } from "../../errors.js";
import { packageRoot } from "../../package-root.js";
import type { CompiledModel } from "../compile-scenario.js";
import type { CandidateBatch } from "../expand-batch.js";
import type { BatchWorker } from "../explore.js";
import type { BatchReply, BatchRequest } from "./batch-worker-thread.js";

/** A batch takes milliseconds; a minute of silence means the thread is gone. */
const COLLECT_TIMEOUT_MS = 60_000;

/** The compiled thread: next to this file in dist/, or dist/ when running from src/ (vitest). */
function threadUrl(): URL | null {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return new URL("./batch-worker-thread.js", import.meta.url);
  const built = path.join(packageRoot, "dist/sim/io/batch-worker-thread.js");
  return existsSync(built) ? new URL(`file://${built}`) : null;
}

/**
 * A second thread that generates the explorer's batches while the explorer looks up the
 * previous one (the machine here has two cores: one generates, one hashes). The explorer is
 * synchronous, so the hand-over is too: batches go out on a MessagePort, and the explorer waits
 * on a shared counter (Atomics.wait) and then takes the reply with receiveMessageOnPort, without
 * the event loop. Returns null when the thread cannot be started (not built): the explorer then
 * expands everything itself, with the same result.
 */
export function startBatchWorker(model: CompiledModel, symmetry: boolean): BatchWorker | null {
  const url = threadUrl();
  if (url === null) return null;
  // [0] replies posted, [1] 1 once the thread is ready.
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  // `node --input-type=module -e` passes its flag on to workers, where it is an error.
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type") && a !== "-e" && a !== "--eval");
  let worker: Worker;
  try {
    worker = new Worker(url, { execArgv, workerData: { model, symmetry, signal, port: port2 }, transferList: [port2] });
  } catch {
    return null;
  }
  let failed: string | null = null;
  // A thread that dies before it is ready leaves the explorer working alone; after, collect() fails.
  worker.on("error", (e: Error) => {
    failed = e.message;
  });
  worker.unref();
  let collected = 0;
  return {
    ready: () => Atomics.load(signal, 1) === 1,
    submit(states, first, count) {
      const req: BatchRequest = { states, first, count };
      port1.postMessage(req, [states.buffer as ArrayBuffer]);
    },
    collect(): { batch: CandidateBatch; waited: boolean } {
      for (let waited = false; ; waited = true) {
        const got = receiveMessageOnPort(port1);
        if (got) {
          collected++;
          const reply = got.message as BatchReply;
          if ("error" in reply) {
            // The model's own complaints (InputError) mean the same with one thread or two.
            if (reply.errorName === "InputError") throw new InputError(reply.error, "sim");
            throw new ExternalError(`simulation thread: ${reply.error}`, "sim");
          }
          return { batch: reply, waited };
        }
        if (failed !== null) throw new ExternalError(`simulation thread: ${failed}`, "sim");
        if (Atomics.wait(signal, 0, collected, COLLECT_TIMEOUT_MS) === "timed-out") {
          throw new ExternalError(`simulation thread sent nothing in ${COLLECT_TIMEOUT_MS / 1000} s`, "sim");
        }
      }
    },
    close() {
      port1.close();
      void worker.terminate();
    },
  };
}
