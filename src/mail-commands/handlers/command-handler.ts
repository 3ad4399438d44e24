import type { Logger } from "../../log/logger.js";
import type { CommandsConfig } from "../../config/sections/commands.js";
import type { CommandContext, CommandRequest, ThreadRef } from "../command-context.js";
import type { Command, Verb } from "../parse-commands.js";

/** Everything a handler may use: data of this command mail, the bot's context, a tagged logger. */
export interface HandlerContext {
  ctx: CommandContext;
  /** The revision the mail's thread belongs to; null for a mail to the bot outside a series. */
  thread: ThreadRef | null;
  /** Authorized sender address. */
  sender: string;
  /** Idempotency key of this command: "<msgid>#<line>". */
  key: string;
  msgid: string;
  line: number;
  config: CommandsConfig;
  log: Logger;
  now: Date;
}

/** The answer to one command: text for the reply and whether it did what was asked. */
export interface HandlerResult {
  ok: boolean;
  text: string;
}

export type CommandHandler<V extends Verb = Verb> = (cmd: Extract<Command, { verb: V }>, h: HandlerContext) => Promise<HandlerResult>;

export const needThread: HandlerResult = {
  ok: false,
  text: "This command needs a series: reply to a mail of the series' thread.",
};

/** The request a mutating context call gets, for the thread the mail is in. */
export function requestOf(h: HandlerContext, thread: ThreadRef): CommandRequest {
  return { lineage: thread.lineage, version: thread.version, key: h.key, msgid: h.msgid, line: h.line, by: h.sender };
}
