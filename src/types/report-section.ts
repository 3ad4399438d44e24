/**
 * One section of a reply, contributed by a stage (apply, balance analysis, simulation, QEMU).
 * `body` is plain text; the composer wraps it to 72 columns. `severity` orders sections and
 * decides whether the bot has anything to say (quiet policy).
 */
export interface ReportSection {
  stage: string;
  title: string;
  body: string;
  severity: "info" | "notice" | "problem";
}
