/**
 * One thing a stage found that a reviewer should look at. The same record is listed in the
 * reply, kept in the store, answered by `#irqtriage explain <id>`, annotated on the GitHub
 * check run, and compared against by the next revision's reply.
 */
export interface Finding {
  /** Public id (`#irqtriage explain|ignore <id>`), stable for the same unit and problem across revisions. */
  id: string;
  /** The stage that made it ("balance", "sim", "qemu", ...). */
  stage: string;
  /** What kind of finding, within the stage (e.g. "new-imbalance", "violation", "verdict"). */
  kind: string;
  severity: "problem" | "notice" | "info";
  /** One line: what is wrong. */
  summary: string;
  /** Evidence and trace lines, for `explain` and the long report. */
  detail?: string;
  /** File in the tree and the line of the call the finding is about. */
  file?: string;
  line?: number;
}
