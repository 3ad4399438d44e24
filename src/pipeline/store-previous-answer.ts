import { replyMessageId } from "../report/plan-reply.js";
import type { Store } from "../store/store.js";
import type { PreviousAnswer } from "./triage-messages.js";

/**
 * The lineage's newest revision that has a reply in the outbox, with the findings its stages
 * stored: what a later revision's reply compares against ("fixed", "new", "unchanged").
 */
export function storePreviousAnswer(store: Store, from: string): (lineage: string) => Promise<PreviousAnswer | null> {
  return async (lineage) => {
    const answered = await store.answeredKeys();
    let best: { key: string; version: number; rfc: boolean } | null = null;
    for (const key of answered.keys()) {
      // Revision keys: "<lineage>#v<n>" plus "-rfc" / "-resend<n>" / "~<n>"; retest answers add "#retest-<hash>".
      if (!key.startsWith(`${lineage}#v`) || key.includes("#retest-")) continue;
      const m = /^#v(\d+)(-rfc)?/.exec(key.slice(lineage.length));
      if (!m) continue;
      const version = Number(m[1]);
      const rfc = Boolean(m[2]);
      if (!best || version > best.version || (version === best.version && best.rfc && !rfc)) best = { key, version, rfc };
    }
    if (!best) return null;
    const stages = await store.stageResults(lineage, best.version);
    return { version: best.version, rfc: best.rfc, findings: stages.flatMap((s) => s.findings), messageId: replyMessageId(best.key, from) };
  };
}
