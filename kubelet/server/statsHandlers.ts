/**
 * The kubelet API's stats endpoints: `/stats/summary` (the Summary API, `?only_cpu_and_memory=true`
 * for CPU and memory only) and `/metrics/resource` (Prometheus text), both from one stats provider.
 */
import type { Summary } from "../../bindings/kube/stats.ts";
import { PROMETHEUS_TEXT_TYPE } from "../metrics/prometheusText.ts";
import { renderResourceMetrics } from "../metrics/resourceMetrics.ts";

/** Where the stats endpoints read from (kubelet/stats/statsProvider.ts's StatsProvider). */
export interface StatsSource {
  summary(): Promise<Summary>;
  cpuAndMemory(): Promise<Summary>;
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

/** GET /stats/summary: the Summary as JSON; 500 "Internal Error: ..." when it cannot be read, as upstream. */
export async function serveStatsSummary(url: URL, source: StatsSource): Promise<Response> {
  // Upstream takes the parameter only when given once with the value "true".
  const only = url.searchParams.getAll("only_cpu_and_memory");
  const cpuAndMemory = only.length === 1 && only[0] === "true";
  try {
    const summary = cpuAndMemory ? await source.cpuAndMemory() : await source.summary();
    return new Response(JSON.stringify(summary), { status: 200, headers: { "content-type": "application/json" } });
  } catch (err) {
    return new Response(`Internal Error: ${err instanceof Error ? err.message : String(err)}\n`, { status: 500, headers: TEXT });
  }
}

/** GET /metrics/resource: node, pod and container CPU and memory; scrape_error 1 when the stats failed. */
export async function serveResourceMetrics(source: StatsSource): Promise<Response> {
  const summary = await source.cpuAndMemory().catch(() => undefined);
  return new Response(renderResourceMetrics(summary), { status: 200, headers: { "content-type": PROMETHEUS_TEXT_TYPE } });
}
