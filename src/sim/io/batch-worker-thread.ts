/**
 * Thread entry of start-batch-worker.ts: expands the batches it is sent (the pure
 * createExpander, the same code the explorer runs in its own thread) and sends back the
 * candidate records, transferring their buffer.
 */
import { isMainThread, type MessagePort, workerData } from "node:worker_threads";
import type { CompiledModel } from "../compile-scenario.js";
import { createExpander, type CandidateBatch } from "../expand-batch.js";

export interface BatchRequest {
  states: Int32Array;
  first: number;
  count: number;
}

/** An error keeps its class name, so that the model's own InputError stays one. */
export type BatchReply = CandidateBatch | { error: string; errorName: string };

interface ThreadData {
  model: CompiledModel;
  symmetry: boolean;
  signal: Int32Array;
  port: MessagePort;
}

if (!isMainThread) {
  const data = workerData as ThreadData;
  const { signal, port } = data;
  const reply = (msg: BatchReply, transfer: ArrayBuffer[]): void => {
    port.postMessage(msg, transfer);
    // Posted first, counted second: when the explorer sees the count, the message is there.
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  try {
    const expander = createExpander(data.model, data.symmetry);
    port.on("message", (req: BatchRequest) => {
      try {
        const out = expander.expand(req.states, req.first, req.count, null);
        reply(out, [out.data.buffer as ArrayBuffer]);
      } catch (e) {
        reply(errorReply(e), []);
      }
    });
    Atomics.store(signal, 1, 1);
  } catch (e) {
    reply(errorReply(e), []);
  }
}

function errorReply(e: unknown): BatchReply {
  return e instanceof Error ? { error: e.message, errorName: e.name } : { error: String(e), errorName: "Error" };
}
