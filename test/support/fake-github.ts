import { execFileSync } from "node:child_process";
import { createPublicKey, createVerify, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for api.github.com: the REST endpoints irqtriage uses, with GitHub's request
 * and response shapes, status codes (401, 404, 422, secondary-rate-limit 403/429) and rate-limit
 * headers. It reads branches and commits from a real bare repository (what the bot pushed to),
 * as GitHub would. Every request is recorded for the tests to inspect.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  body: unknown;
  status: number;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: 403 | 429 | 500 | 502;
  message: string;
  retryAfter?: number;
  /** How many matching requests fail; default 1. */
  times?: number;
}

export interface FakeGithubOptions {
  owner: string;
  repo: string;
  /** The bare repository the mirror pushes to (branches and commits are read from it). */
  bareRepo: string;
  defaultBranch?: string;
  /** Tokens accepted as `token X` / `Bearer X`. */
  tokens?: string[];
  /** GitHub App: its id and public key, to verify the JWT of the access-token exchange. */
  app?: { id: number; publicKeyPem: string; installationId: number };
}

type Json = Record<string, unknown>;

export class FakeGithub {
  readonly requests: RecordedRequest[] = [];
  readonly pulls: Json[] = [];
  readonly checkRuns: Json[] = [];
  readonly statuses: Json[] = [];
  readonly comments: (Json & { issue_number: number })[] = [];
  private readonly faults: (Fault & { left: number })[] = [];
  private readonly tokens: Set<string>;
  private readonly appKey: KeyObject | null;
  private server: Server | null = null;
  private nextId = 1000;
  private remaining = 5000;
  baseUrl = "";

  constructor(private readonly o: FakeGithubOptions) {
    this.tokens = new Set(o.tokens ?? []);
    this.appKey = o.app ? createPublicKey(o.app.publicKeyPem) : null;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  fault(f: Fault): void {
    this.faults.push({ ...f, left: f.times ?? 1 });
  }

  private git(args: string[]): string | null {
    try {
      return execFileSync("git", args, { cwd: this.o.bareRepo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return null;
    }
  }

  private branchSha(branch: string): string | null {
    return this.git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`]);
  }

  private repoJson(): Json {
    const full = `${this.o.owner}/${this.o.repo}`;
    return {
      id: 1296269,
      node_id: "R_kgDOfake",
      name: this.o.repo,
      full_name: full,
      private: false,
      owner: { login: this.o.owner, id: 1, type: "Organization" },
      html_url: `https://github.invalid/${full}`,
      url: `${this.baseUrl}/repos/${full}`,
      default_branch: this.o.defaultBranch ?? "master",
      permissions: { admin: false, push: true, pull: true },
    };
  }

  private pullJson(p: Json): Json {
    const head = p["head"] as Json;
    // The head sha follows the branch, as on GitHub after a force-push.
    return { ...p, head: { ...head, sha: this.branchSha(String(head["ref"])) } };
  }

  private send(res: ServerResponse, rec: RecordedRequest, status: number, body: unknown, extra: Record<string, string> = {}): void {
    rec.status = status;
    this.remaining = Math.max(0, this.remaining - 1);
    const text = body === null ? "" : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-request-id": `FAKE:${this.requests.length}`,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(this.remaining),
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-used": String(5000 - this.remaining),
      "x-ratelimit-resource": "core",
      ...extra,
    });
    res.end(text);
  }

  private verifyJwt(jwt: string): boolean {
    if (!this.appKey || !this.o.app) return false;
    const [h, p, s] = jwt.split(".");
    if (!h || !p || !s) return false;
    const v = createVerify("RSA-SHA256");
    v.update(`${h}.${p}`);
    if (!v.verify(this.appKey, Buffer.from(s, "base64url"))) return false;
    const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as { iss?: unknown; exp?: number };
    return String(claims.iss) === String(this.o.app.id) && (claims.exp ?? 0) > Date.now() / 1000;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    let body: unknown = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization ?? null,
      body,
      status: 0,
    };
    this.requests.push(rec);
    const fault = this.faults.find((f) => f.left > 0 && f.method === rec.method && f.path.test(rec.path));
    if (fault) {
      fault.left--;
      return this.send(
        res,
        rec,
        fault.status,
        { message: fault.message, documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" },
        fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {},
      );
    }
    try {
      this.route(rec, res);
    } catch (err) {
      this.send(res, rec, 500, { message: (err as Error).message });
    }
  }

  private route(rec: RecordedRequest, res: ServerResponse): void {
    const auth = rec.authorization ?? "";
    const m = (re: RegExp) => re.exec(rec.path);
    const body = (rec.body ?? {}) as Json;
    let g: RegExpExecArray | null;

    if ((g = m(/^\/app\/installations\/(\d+)\/access_tokens$/)) && rec.method === "POST") {
      const jwt = /^bearer (.+)$/i.exec(auth)?.[1] ?? "";
      if (!this.verifyJwt(jwt)) return this.send(res, rec, 401, { message: "A JSON web token could not be decoded" });
      if (Number(g[1]) !== this.o.app?.installationId) return this.send(res, rec, 404, { message: "Not Found" });
      const token = `ghs_fake${this.nextId++}`;
      this.tokens.add(token);
      return this.send(res, rec, 201, {
        token,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { checks: "write", contents: "write", pull_requests: "write", issues: "write", metadata: "read" },
        repository_selection: "all",
      });
    }

    const token = /^(?:token|bearer) (.+)$/i.exec(auth)?.[1];
    if (!token || !this.tokens.has(token)) return this.send(res, rec, 401, { message: "Bad credentials" });
    const repoPrefix = `/repos/${this.o.owner}/${this.o.repo}`;
    if (!rec.path.startsWith(repoPrefix)) return this.send(res, rec, 404, { message: "Not Found" });
    const p = rec.path.slice(repoPrefix.length);
    const mp = (re: RegExp) => re.exec(p);
    const now = new Date().toISOString();
    const full = `${this.o.owner}/${this.o.repo}`;

    if (p === "" && rec.method === "GET") return this.send(res, rec, 200, this.repoJson());

    if (p === "/pulls" && rec.method === "GET") {
      const head = rec.query["head"];
      const state = rec.query["state"] ?? "open";
      const list = this.pulls
        .filter((x) => state === "all" || x["state"] === state)
        .filter((x) => !head || (x["head"] as Json)["label"] === head)
        .map((x) => this.pullJson(x));
      return this.send(res, rec, 200, list);
    }
    if (p === "/pulls" && rec.method === "POST") {
      const head = String(body["head"] ?? "");
      const base = String(body["base"] ?? "");
      if (!body["title"]) return this.send(res, rec, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "title", code: "missing_field" }] });
      const headSha = this.branchSha(head);
      const baseSha = this.branchSha(base);
      if (!headSha || !baseSha) {
        return this.send(res, rec, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field: headSha ? "base" : "head", code: "invalid" }] });
      }
      const label = `${this.o.owner}:${head}`;
      if (this.pulls.some((x) => x["state"] === "open" && (x["head"] as Json)["label"] === label)) {
        return this.send(res, rec, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${label}.` }] });
      }
      const number = this.pulls.length + 1;
      const pull: Json = {
        id: this.nextId++,
        number,
        state: "open",
        title: body["title"],
        body: body["body"] ?? null,
        html_url: `https://github.invalid/${full}/pull/${number}`,
        url: `${this.baseUrl}${repoPrefix}/pulls/${number}`,
        user: { login: "irqtriage[bot]", type: "Bot" },
        head: { label, ref: head, sha: headSha, repo: this.repoJson() },
        base: { label: `${this.o.owner}:${base}`, ref: base, sha: baseSha, repo: this.repoJson() },
        draft: false,
        merged: false,
        maintainer_can_modify: body["maintainer_can_modify"] ?? false,
        created_at: now,
        updated_at: now,
      };
      this.pulls.push(pull);
      return this.send(res, rec, 201, this.pullJson(pull));
    }
    if ((g = mp(/^\/pulls\/(\d+)$/)) && rec.method === "PATCH") {
      const pull = this.pulls.find((x) => x["number"] === Number(g?.[1]));
      if (!pull) return this.send(res, rec, 404, { message: "Not Found" });
      for (const k of ["title", "body", "state", "base"] as const) if (body[k] !== undefined) pull[k] = body[k];
      pull["updated_at"] = now;
      return this.send(res, rec, 200, this.pullJson(pull));
    }

    if ((g = mp(/^\/commits\/([^/]+)\/check-runs$/)) && rec.method === "GET") {
      const ref = decodeURIComponent(g[1] ?? "");
      const runs = this.checkRuns.filter((c) => c["head_sha"] === ref && (!rec.query["check_name"] || c["name"] === rec.query["check_name"]));
      return this.send(res, rec, 200, { total_count: runs.length, check_runs: runs });
    }
    if (p === "/check-runs" && rec.method === "POST") {
      const sha = String(body["head_sha"] ?? "");
      if (!/^[0-9a-f]{40}$/.test(sha) || this.git(["cat-file", "-t", sha]) !== "commit") {
        return this.send(res, rec, 422, { message: "No commit found for SHA: " + sha });
      }
      if (!body["name"]) return this.send(res, rec, 422, { message: "Validation Failed" });
      const id = this.nextId++;
      const output = (body["output"] ?? {}) as Json;
      const run: Json = {
        id,
        head_sha: sha,
        external_id: body["external_id"] ?? "",
        name: body["name"],
        status: body["status"] ?? "queued",
        conclusion: body["conclusion"] ?? null,
        started_at: now,
        completed_at: body["completed_at"] ?? null,
        html_url: `https://github.invalid/${full}/runs/${id}`,
        output: {
          title: output["title"] ?? null,
          summary: output["summary"] ?? null,
          text: output["text"] ?? null,
          annotations_count: Array.isArray(output["annotations"]) ? output["annotations"].length : 0,
          annotations_url: `${this.baseUrl}${repoPrefix}/check-runs/${id}/annotations`,
        },
        app: { id: this.o.app?.id ?? 1, slug: "irqtriage" },
        pull_requests: [],
      };
      this.checkRuns.push(run);
      return this.send(res, rec, 201, run);
    }

    if ((g = mp(/^\/commits\/([^/]+)\/statuses$/)) && rec.method === "GET") {
      const ref = decodeURIComponent(g[1] ?? "");
      return this.send(res, rec, 200, this.statuses.filter((s) => s["sha"] === ref).reverse());
    }
    if ((g = mp(/^\/statuses\/([0-9a-f]{40})$/)) && rec.method === "POST") {
      const sha = g[1] ?? "";
      if (this.git(["cat-file", "-t", sha]) !== "commit") return this.send(res, rec, 422, { message: "No commit found for SHA: " + sha });
      if (!["error", "failure", "pending", "success"].includes(String(body["state"]))) return this.send(res, rec, 422, { message: "Validation Failed" });
      const st: Json = {
        id: this.nextId++,
        sha,
        state: body["state"],
        description: body["description"] ?? null,
        target_url: body["target_url"] ?? null,
        context: body["context"] ?? "default",
        created_at: now,
        updated_at: now,
        url: `${this.baseUrl}${repoPrefix}/statuses/${sha}`,
      };
      this.statuses.push(st);
      return this.send(res, rec, 201, st);
    }

    if ((g = mp(/^\/issues\/(\d+)\/comments$/))) {
      const n = Number(g[1]);
      if (!this.pulls.some((x) => x["number"] === n)) return this.send(res, rec, 404, { message: "Not Found" });
      if (rec.method === "GET") return this.send(res, rec, 200, this.comments.filter((c) => c.issue_number === n));
      if (rec.method === "POST") {
        if (typeof body["body"] !== "string" || !body["body"]) return this.send(res, rec, 422, { message: "Validation Failed" });
        const id = this.nextId++;
        const c = {
          id,
          issue_number: n,
          body: body["body"],
          html_url: `https://github.invalid/${full}/pull/${n}#issuecomment-${id}`,
          user: { login: "irqtriage[bot]", type: "Bot" },
          created_at: now,
          updated_at: now,
        };
        this.comments.push(c);
        return this.send(res, rec, 201, c);
      }
    }
    return this.send(res, rec, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }
}
