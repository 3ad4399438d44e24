import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DaemonMetrics } from "./daemon-metrics.js";

/**
 * Health (/healthz, JSON) and Prometheus metrics (/metrics) on a loopback address only: the
 * daemon has no business answering the network.
 */
export async function startHealthServer(opts: {
  host: string;
  port: number;
  metrics: DaemonMetrics;
  health: () => Promise<{ ok: boolean } & Record<string, unknown>>;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    const fail = (err: unknown): void => {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
    };
    if (req.method !== "GET") {
      res.writeHead(405).end();
    } else if (url === "/metrics") {
      opts.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": opts.metrics.registry.contentType }).end(text))
        .catch(fail);
    } else if (url === "/healthz" || url === "/health") {
      opts
        .health()
        .then((h) => res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h)))
        .catch(fail);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("try /healthz or /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
