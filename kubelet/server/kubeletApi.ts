/**
 * The kubelet's HTTP API, host-agnostic (web-standard Request/Response): `/healthz`, `/pods`,
 * `/containerLogs`, the streaming endpoints, `/metrics`, `/stats/summary` and `/metrics/resource` as upstream's
 * kubelet server serves them. Authentication and TLS wrap it in kubeletServer.ts.
 */
import type { Pod, PodList } from "../../bindings/kube/types.ts";
import { PROMETHEUS_TEXT_TYPE } from "../metrics/prometheusText.ts";
import { serveContainerLogs, type ContainerLogsDeps } from "./containerLogs.ts";
import { serveResourceMetrics, serveStatsSummary, type StatsSource } from "./statsHandlers.ts";
import { serveRun, serveStreaming, type StreamingDeps, type StreamKind } from "./streaming.ts";

/** A named health check; resolves to a failure reason, or `undefined` when healthy. */
export interface HealthCheck {
  name: string;
  check(): string | undefined | Promise<string | undefined>;
}

/** What the kubelet API serves from. */
export interface KubeletApiOptions {
  /** The pods this kubelet runs, with their current status. */
  pods(): Pod[] | Promise<Pod[]>;
  /** Extra /healthz checks (upstream: syncloop); `ping` is always included. */
  healthChecks?: HealthCheck[];
  /** Serves `/containerLogs/{namespace}/{pod}/{container}` when given. */
  logs?: ContainerLogsDeps;
  /** Serves `/exec`, `/attach` and `/portForward` (proxied to the runtime) and `/run` when given. */
  streaming?: StreamingDeps;
  /** Serves `/stats/summary` and `/metrics/resource` when given. */
  stats?: StatsSource;
  /** Serves `/metrics` (the kubelet's own metrics in the Prometheus text format) when given. */
  metrics?: { scrape(): Promise<string> };
}

/** Upstream's streaming endpoints (and /run); without `streaming` 501 rather than 404. */
const STREAMING = ["/exec/", "/attach/", "/portForward/", "/run/"];
const STREAM_KINDS: StreamKind[] = ["exec", "attach", "portForward"];

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };
const JSON_TYPE = { "content-type": "application/json" };

function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...TEXT, ...extra } });
}

/** A PodList object as the API server and upstream's kubelet `/pods` endpoint return it. */
export function podList(pods: Pod[]): PodList {
  return { kind: "PodList", apiVersion: "v1", metadata: {}, items: pods };
}

/**
 * Upstream healthz semantics: 200 "ok" when every check passes, else 500 listing the checks with
 * the reason withheld (`?verbose` lists them on success too).
 */
async function healthz(url: URL, checks: HealthCheck[]): Promise<Response> {
  const all: HealthCheck[] = [{ name: "ping", check: () => undefined }, ...checks];
  const results = await Promise.all(all.map(async (c) => {
    try {
      return { name: c.name, failure: await c.check() };
    } catch (err) {
      return { name: c.name, failure: err instanceof Error ? err.message : String(err) };
    }
  }));
  const failed = results.some((r) => r.failure !== undefined);
  const lines = results.map((r) => (r.failure === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  if (failed) return text(500, `${lines.join("\n")}\nhealthz check failed\n`);
  if (url.searchParams.has("verbose")) return text(200, `${lines.join("\n")}\nhealthz check passed\n`);
  return text(200, "ok");
}

/** The healthz-only handler served on `healthzBindAddress:healthzPort`. */
export function createHealthzHandler(checks: HealthCheck[] = []): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/healthz") return text(404, "404 page not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "405 method not allowed\n", { allow: "GET, HEAD" });
    return healthz(url, checks);
  };
}

/**
 * The kubelet API handler: GET /healthz, GET /pods, GET /containerLogs/..., GET /metrics (with
 * `metrics`), GET /stats/summary and
 * /metrics/resource (with `stats`), upgrade requests to
 * /exec, /attach and /portForward, POST /run/...; 501 for those without `streaming`; 404 for any
 * other path, 405 for other methods.
 */
export function createKubeletApiHandler(options: KubeletApiOptions): (req: Request) => Promise<Response> {
  const routes: Record<string, (url: URL) => Promise<Response>> = {
    "/healthz": (url) => healthz(url, options.healthChecks ?? []),
    "/pods": async () => {
      try {
        return new Response(JSON.stringify(podList(await options.pods())), { status: 200, headers: JSON_TYPE });
      } catch (err) {
        return text(500, `Internal Error: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    },

    ...(options.metrics ? {
      "/metrics": async () => new Response(await options.metrics!.scrape(), { status: 200, headers: { "content-type": PROMETHEUS_TEXT_TYPE } }),
    } : {}),
    ...(options.stats ? {
      "/stats/summary": (url: URL) => serveStatsSummary(url, options.stats!),
      "/metrics/resource": () => serveResourceMetrics(options.stats!),
    } : {}),
  };
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    const route = routes[path];
    if (!route) {
      if (options.logs && path.startsWith("/containerLogs/")) {
        if (req.method !== "GET" && req.method !== "HEAD") return text(405, "405 method not allowed\n", { allow: "GET, HEAD" });
        return serveContainerLogs(path.slice("/containerLogs/".length), url, options.logs);
      }
      const kind = STREAM_KINDS.find((k) => path.startsWith(`/${k}/`));
      if (options.streaming && kind) return serveStreaming(kind, path.slice(kind.length + 2), req, options.streaming);
      if (options.streaming && path.startsWith("/run/")) return serveRun(path.slice("/run/".length), req, options.streaming);
      if (STREAMING.some((p) => path.startsWith(p))) return text(501, `${path.split("/")[1]} is not implemented by kubelet-ts\n`);
      return text(404, "404 page not found\n");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "405 method not allowed\n", { allow: "GET, HEAD" });
    return route(url);
  };
}
