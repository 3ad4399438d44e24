import type { Logger } from "../../log/logger.js";
import type { GithubClient } from "./create-octokit.js";
import type { GithubConfig } from "../../config/sections/github.js";
import { lineageBranch, lineageKey } from "../lineage-branch.js";
import type { PublishResult, Publisher, RevisionToPublish } from "../publisher.js";
import { pushBranch } from "./push-branch.js";
import { conclusionOf, escapeMarkdown, renderRevisionMarkdown, summaryLine } from "../render-revision-markdown.js";

export interface OctokitPublisherOptions {
  config: GithubConfig;
  octokit: GithubClient;
  pushToken: () => Promise<string>;
  log: Logger;
}

const checkName = "irqtriage";

/**
 * Publisher on the GitHub REST API: per revision, force-push the lineage's branch, open or
 * update the lineage's one pull request, report the findings as a check run (or a commit status)
 * on the revision's head, and comment in Markdown. Each step first looks for what an earlier
 * attempt left (pull by head branch, check run by external_id, comment by a hidden marker), so a
 * retried job never duplicates anything.
 */
export class OctokitPublisher implements Publisher {
  private readonly owner: string;
  private readonly repo: string;
  private repoChecked = false;

  constructor(private readonly o: OctokitPublisherOptions) {
    if (!o.config.owner || !o.config.repo) throw new Error("github.owner and github.repo are required");
    this.owner = o.config.owner;
    this.repo = o.config.repo;
  }

  async publishRevision(rev: RevisionToPublish): Promise<PublishResult> {
    const { octokit, config } = this.o;
    const log = this.o.log.child({ part: "github", lineage: rev.lineage, version: rev.version });
    // The lineage is a Message-ID (mail text): only its hash goes into markers and external ids.
    const key = `irqtriage:${lineageKey(rev.lineage)}#v${rev.version}`;
    const r = { owner: this.owner, repo: this.repo };
    if (!this.repoChecked) {
      // Fails early (404/401) with a clear error when the repo or the credentials are wrong.
      await octokit.rest.repos.get(r);
      this.repoChecked = true;
    }

    const branch = lineageBranch(rev.lineage, config.branchPrefix);
    const url = config.pushUrl ?? `https://github.com/${this.owner}/${this.repo}.git`;
    await pushBranch({ gitDir: rev.gitDir, head: rev.head, url, branch, token: await this.o.pushToken(), log });

    const title = `[v${rev.version}] ${rev.title}`.slice(0, 250);
    const body = [
      `Series by ${escapeMarkdown(rev.author)}, mirrored from the mailing list by irqtriage.`,
      "",
      `Lineage \`${rev.lineage.replace(/`/g, "")}\`; this branch is force-pushed with every new revision (now v${rev.version}).`,
      ...(rev.link ? ["", `Thread: <${encodeURI(rev.link)}>`] : []),
    ].join("\n");
    const existing = await octokit.rest.pulls.list({ ...r, head: `${this.owner}:${branch}`, state: "all", per_page: 10 });
    const found = existing.data[0];
    let pullCreated = false;
    let pull: { number: number; html_url: string };
    if (found) {
      const res = await octokit.rest.pulls.update({ ...r, pull_number: found.number, title, body, ...(found.state !== "open" ? { state: "open" as const } : {}) });
      pull = res.data;
      log.info({ pull: pull.number }, "pull request updated");
    } else {
      const res = await octokit.rest.pulls.create({ ...r, head: branch, base: config.baseBranch, title, body, maintainer_can_modify: false });
      pull = res.data;
      pullCreated = true;
      log.info({ pull: pull.number }, "pull request opened");
    }
    const pullNumber = pull.number;

    const markdown = renderRevisionMarkdown(rev, key);
    const conclusion = conclusionOf(rev.findings);
    let reportId: number | null = null;
    if (config.report === "check-run") {
      const runs = await octokit.rest.checks.listForRef({ ...r, ref: rev.head, check_name: checkName, per_page: 100 });
      if (!runs.data.check_runs.some((c) => c.external_id === key)) {
        const annotations = rev.findings
          .filter((f) => f.file && f.line)
          .slice(0, 50)
          .map((f) => ({
            path: f.file as string,
            start_line: f.line as number,
            end_line: f.line as number,
            annotation_level: f.severity === "problem" ? ("failure" as const) : f.severity === "notice" ? ("warning" as const) : ("notice" as const),
            title: f.id,
            message: f.summary,
          }));
        const res = await octokit.rest.checks.create({
          ...r,
          name: checkName,
          head_sha: rev.head,
          external_id: key,
          status: "completed",
          conclusion,
          completed_at: new Date().toISOString(),
          output: { title: summaryLine(rev), summary: markdown.slice(0, 65_000), ...(annotations.length ? { annotations } : {}) },
        });
        reportId = res.data.id;
      }
    } else {
      const statuses = await octokit.rest.repos.listCommitStatusesForRef({ ...r, ref: rev.head, per_page: 100 });
      if (!statuses.data.some((s) => s.context === checkName)) {
        const res = await octokit.rest.repos.createCommitStatus({
          ...r,
          sha: rev.head,
          state: conclusion === "failure" ? "failure" : "success",
          context: checkName,
          description: summaryLine(rev),
          target_url: pull.html_url,
        });
        reportId = res.data.id;
      }
    }

    let commentId: number | null = null;
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...r, issue_number: pullNumber, per_page: 100 });
    if (!comments.some((c) => (c.body ?? "").includes(`<!-- ${key} -->`))) {
      const res = await octokit.rest.issues.createComment({ ...r, issue_number: pullNumber, body: markdown });
      commentId = res.data.id;
    }
    log.info({ branch, pull: pullNumber, reportId, commentId, conclusion }, "revision published");
    return { branch, pullNumber, pullUrl: pull.html_url, pullCreated, reportId, commentId };
  }
}
