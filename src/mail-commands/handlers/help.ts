import type { CommandHandler } from "./command-handler.js";

export const helpText = (trees: string[]): string =>
  [
    "Commands (one per line, starting the line, in a reply to the series):",
    "  #irqtriage retest                  triage this revision again",
    "  #irqtriage test <tree> <branch>    apply and test on a configured tree",
    "  #irqtriage status                  what irqtriage knows of this series",
    "  #irqtriage explain <finding-id>    details of one finding",
    "  #irqtriage ignore <finding-id> <reason>",
    "                                     a false positive, also on later revisions",
    "  #irqtriage quiet                   no more replies on this series",
    "  #irqtriage help                    this text",
    `Trees: ${trees.length ? trees.join(", ") : "none configured"}.`,
  ].join("\n");

export const help: CommandHandler<"help"> = async (_cmd, h) => ({ ok: true, text: helpText(h.config.trees.map((t) => t.name)) });
