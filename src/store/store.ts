import type { CommandStore } from "./command-store.js";
import type { JobQueue } from "./job-queue.js";
import type { MessageStore } from "./message-store.js";
import type { OutboxStore } from "./outbox-store.js";
import type { ResultStore } from "./result-store.js";

export type * from "./command-store.js";
export type * from "./job-queue.js";
export type * from "./message-store.js";
export type * from "./outbox-store.js";
export type * from "./result-store.js";

/**
 * The daemon's durable state, one interface per concern (messages, queue, outbox, commands,
 * results) behind one factory (`openStore`). The embedded default is SQLite; a shared database
 * implements the same interfaces.
 *
 * Every method that changes more than one thing is ONE transaction in the implementation:
 * callers never compose transactions themselves, which is what lets another backend keep the
 * same guarantees. Methods are async so that a networked backend fits the same shape.
 */
export interface Store extends MessageStore, JobQueue, OutboxStore, CommandStore, ResultStore {
  close(): Promise<void>;
}
