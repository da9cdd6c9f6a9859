/**
 * Runs one probe against a container: exec through CRI ExecSync, httpGet, tcpSocket, grpc — each
 * bounded by timeoutSeconds — and returns the outcome with upstream's failure messages
 * (pkg/probe/{exec,http,tcp,grpc}, pkg/kubelet/prober/prober.go).
 */
import type { Container, Pod, Probe } from "../../bindings/kube/types.ts";
import { resolvePort } from "../lifecycle/handlerRunner.ts";
import type { Cri } from "../ports/cri.ts";
import { isCriError } from "../ports/cri.ts";
import type { Net } from "../ports/net.ts";

/**
 * A probe's result: success, failure or timeout (both count as failure, with a message), or an
 * error running it (upstream's prober error: the result is discarded). `warning` asks for a
 * ProbeWarning event (an HTTP probe that stopped at a redirect).
 */
export interface ProbeRunResult { outcome: "success" | "failure" | "timeout" | "error"; message: string; warning?: string }

/** The gRPC health check the `grpc` handler needs (host part of the Net port). */
export type GrpcHealthCheck = (host: string, port: number, service: string, timeoutMs: number) => Promise<string>;

/** What a probe runs against; `podIP` is the host's IP for hostNetwork pods, as in upstream's status. */
export interface ProbeTarget { pod: Pod; container: Container; containerId: string; podIP?: string }

/** Go's http.Client stops after 10 requests in a redirect chain. */
const MAX_REDIRECTS = 10;
/** Upstream's maxProbeRetries: a probe that errors is retried at once, up to this many runs. */
const MAX_RUNS = 3;
const TIMEOUT_TEXT = /deadline exceeded|timed out|timeout/i;

/** Runs probes; never throws. */
export class ProbeRunner {
  constructor(private readonly cri: Cri, private readonly net: Net, private readonly grpc?: GrpcHealthCheck) {}

  /** Runs the probe, retrying errors (not failures) like upstream's runProbeWithRetries. */
  async run(probe: Probe, t: ProbeTarget): Promise<ProbeRunResult> {
    let res: ProbeRunResult;
    let runs = 0;
    do res = await this.runOnce(probe, t);
    while (res.outcome === "error" && ++runs < MAX_RUNS);
    return res;
  }

  private async runOnce(probe: Probe, t: ProbeTarget): Promise<ProbeRunResult> {
    const timeoutMs = Math.max(probe.timeoutSeconds ?? 1, 1) * 1000;
    try {
      if (probe.exec) return await this.exec(probe.exec.command ?? [], t, timeoutMs);
      if (probe.httpGet) return await this.http(probe, t, timeoutMs);
      if (probe.tcpSocket) {
        const port = resolvePort(probe.tcpSocket.port, t.container);
        if (port === undefined) return { outcome: "error", message: `couldn't find port: ${String(probe.tcpSocket.port)} in ${t.container.name}` };
        const host = probe.tcpSocket.host || t.podIP;
        if (!host) return { outcome: "error", message: "pod has no IP" };
        await this.net.tcpConnect(host, port, timeoutMs);
        return { outcome: "success", message: "" };
      }
      if (probe.grpc) {
        if (!this.grpc) return { outcome: "error", message: "grpc probes are not supported by this host" };
        if (!t.podIP) return { outcome: "error", message: "pod has no IP" };
        const status = await this.grpc(t.podIP, probe.grpc.port, probe.grpc.service ?? "", timeoutMs);
        return status === "SERVING" ? { outcome: "success", message: "" } : { outcome: "failure", message: `service unhealthy (responded with "${status}")` };
      }
      return { outcome: "error", message: "missing probe handler" };
    } catch (err) {
      // Network and RPC errors are probe failures upstream (they catch timeouts), never errors.
      const message = err instanceof Error ? err.message : String(err);
      return { outcome: TIMEOUT_TEXT.test(message) ? "timeout" : "failure", message };
    }
  }

  private async exec(cmd: string[], t: ProbeTarget, timeoutMs: number): Promise<ProbeRunResult> {
    const seconds = Math.ceil(timeoutMs / 1000);
    try {
      // The runtime enforces the timeout; the call's own deadline only guards against a stuck runtime.
      const res = await this.cri.execSync(t.containerId, cmd, seconds, { timeoutMs: timeoutMs + 10_000 });
      const out = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
      return res.exitCode === 0 ? { outcome: "success", message: out } : { outcome: "failure", message: out };
    } catch (err) {
      if (isCriError(err, "DeadlineExceeded")) return { outcome: "timeout", message: `command "${cmd.join(" ")}" timed out` };
      return { outcome: "error", message: err instanceof Error ? err.message : String(err) };
    }
  }

  private async http(probe: Probe, t: ProbeTarget, timeoutMs: number): Promise<ProbeRunResult> {
    const g = probe.httpGet!;
    const port = resolvePort(g.port, t.container);
    if (port === undefined) return { outcome: "error", message: `couldn't find port: ${String(g.port)} in ${t.container.name}` };
    const host = g.host || t.podIP;
    if (!host) return { outcome: "error", message: "pod has no IP" };
    const headers: Record<string, string> = {};
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    let url = new URL(`${(g.scheme ?? "HTTP").toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${port}${g.path ? (g.path.startsWith("/") ? g.path : `/${g.path}`) : "/"}`);
    // One deadline for the whole redirect chain, as Go's http.Client.Timeout.
    const deadline = Date.now() + timeoutMs;
    for (let requests = 1; ; requests++) {
      let res;
      try {
        res = await this.net.httpGet(url.toString(), headers, Math.max(deadline - Date.now(), 1), 10 * 1024);
      } catch (err) {
        const message = `Get ${JSON.stringify(url.toString())}: ${err instanceof Error ? err.message : String(err)}`;
        return { outcome: TIMEOUT_TEXT.test(message) ? "timeout" : "failure", message };
      }
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url);
        // Upstream follows redirects to the same host only; another host's redirect is the answer.
        if (next.hostname === url.hostname) {
          if (requests >= MAX_REDIRECTS) return { outcome: "failure", message: `Get ${JSON.stringify(next.toString())}: stopped after 10 redirects` };
          url = next;
          continue;
        }
      }
      // 3xx that was not followed: success with a warning whose text is the body (upstream 1.20).
      if (res.status >= 300 && res.status < 400) return { outcome: "success", message: res.body, warning: res.body };
      if (res.status >= 200 && res.status < 400) return { outcome: "success", message: res.body };
      return { outcome: "failure", message: `HTTP probe failed with statuscode: ${res.status}` };
    }
  }
}
