import type { Command, Verb } from "../parse-commands.js";
import type { CommandHandler, HandlerContext, HandlerResult } from "./command-handler.js";
import { explain } from "./explain.js";
import { help } from "./help.js";
import { ignore } from "./ignore.js";
import { quiet } from "./quiet.js";
import { retest } from "./retest.js";
import { status } from "./status.js";
import { test } from "./test.js";

/** verb → handler: adding a command is one file and one line here. */
export const commandHandlers: { [V in Verb]: CommandHandler<V> } = { retest, test, status, explain, ignore, quiet, help };

export function runHandler(cmd: Command, h: HandlerContext): Promise<HandlerResult> {
  const handler = commandHandlers[cmd.verb] as CommandHandler;
  return handler(cmd as never, h);
}
