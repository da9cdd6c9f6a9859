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

/** A probe's result: success, failure (with a message), or an error running it. */
export interface ProbeRunResult { outcome: "success" | "failure" | "timeout" | "error"; message: string; warning?: string }

/** The gRPC health check the `grpc` handler needs (host part of the Net port). */
export type GrpcHealthCheck = (host: string, port: number, service: string, timeoutMs: number) => Promise<string>;

/** What a probe runs against. */
export interface ProbeTarget { pod: Pod; container: Container; containerId: string; podIP?: string }

const MAX_REDIRECTS = 10;

/** Runs probes; never throws. */
export class ProbeRunner {
  constructor(private readonly cri: Cri, private readonly net: Net, private readonly grpc?: GrpcHealthCheck) {}

  async run(probe: Probe, t: ProbeTarget): Promise<ProbeRunResult> {
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
      const message = err instanceof Error ? err.message : String(err);
      return { outcome: /deadline exceeded|timed out|timeout/i.test(message) ? "timeout" : "failure", message };
    }
  }

  private async exec(cmd: string[], t: ProbeTarget, timeoutMs: number): Promise<ProbeRunResult> {
    try {
      const res = await this.cri.execSync(t.containerId, cmd, Math.ceil(timeoutMs / 1000), { timeoutMs: timeoutMs + 2000 });
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
    const deadline = Date.now() + timeoutMs;
    for (let hop = 0; ; hop++) {
      const res = await this.net.httpGet(url.toString(), headers, Math.max(deadline - Date.now(), 1), 10 * 1024);
      if (res.status >= 300 && res.status < 400 && res.headers.location) {
        const next = new URL(res.headers.location, url);
        // Upstream follows redirects to the same host; another host counts as success with a warning.
        if (next.hostname !== url.hostname) return { outcome: "success", message: "", warning: `Probe terminated redirects, Response body: ${res.body}` };
        if (hop >= MAX_REDIRECTS) return { outcome: "failure", message: "stopped after 10 redirects" };
        url = next;
        continue;
      }
      if (res.status >= 200 && res.status < 400) return { outcome: "success", message: res.body };
      return { outcome: "failure", message: `HTTP probe failed with statuscode: ${res.status}` };
    }
  }
}
