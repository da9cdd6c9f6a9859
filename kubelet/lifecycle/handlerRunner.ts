/**
 * Runs lifecycle hooks (postStart, preStop): exec through CRI ExecSync, httpGet against the pod IP,
 * sleep. Mirrors upstream pkg/kubelet/lifecycle/handlers.go.
 */
import type { Container, Handler, Pod } from "../../bindings/kube/types.ts";
import type { Clock } from "../ports/clock.ts";
import type { Cri } from "../ports/cri.ts";

/** A plain HTTP GET (the `Net` port's piece hooks need). */
export type HttpGet = (url: string, headers: Record<string, string>, timeoutMs: number) => Promise<{ status: number; body: string }>;

/** Resolves a named or numeric container port. */
export function resolvePort(port: number | string, container: Container): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

const plain = (text: string): HookFailure => ({ error: text, message: text });

/** upstream format.Pod: `name_namespace(uid)`. */
const podDesc = (pod: Pod) => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;

/**
 * A failed hook: `message` is upstream's Failed*Hook event text, `error` the handler's own error
 * (upstream shows "PostStartHookError: <error>" as the container's waiting reason).
 */
export interface HookFailure { message: string; error: string }

/** Runs hook handlers; resolves to the failure, or undefined on success. */
export class HandlerRunner {
  constructor(private readonly cri: Cri, private readonly httpGet: HttpGet, private readonly clock: Clock) {}

  async run(containerId: string, pod: Pod, container: Container, handler: Handler, podIP: string | undefined, timeoutMs: number): Promise<HookFailure | undefined> {
    if (handler.exec) {
      const command = handler.exec.command ?? [];
      // upstream: "Exec lifecycle hook (%v) ... failed - error: %v, message: %q", the error being
      // the runtime's CodeExitError ("command '...' exited with N: <stderr>") or the call's error.
      const failed = (error: string, output: string): HookFailure => ({
        error,
        message: `Exec lifecycle hook ([${command.join(" ")}]) for Container "${container.name}" in Pod "${podDesc(pod)}" failed - error: ${error}, message: ${JSON.stringify(output)}`,
      });
      try {
        const res = await this.cri.execSync(containerId, command, Math.ceil(timeoutMs / 1000), { timeoutMs: timeoutMs + 5000 });
        if (res.exitCode !== 0) {
          const stdout = new TextDecoder().decode(res.stdout);
          const stderr = new TextDecoder().decode(res.stderr);
          return failed(`command '${command.join(" ")}' exited with ${res.exitCode}: ${stderr}`, stdout + stderr);
        }
        return undefined;
      } catch (err) {
        return failed(err instanceof Error ? err.message : String(err), "");
      }
    }
    if (handler.httpGet) {
      const g = handler.httpGet;
      const port = resolvePort(g.port, container);
      if (port === undefined) return plain(`couldn't find port: ${String(g.port)} in ${container.name}`);
      const host = g.host || podIP;
      if (!host) return plain(`failed to find networking container: pod ${pod.metadata.name} has no IP`);
      const path = g.path ? (g.path.startsWith("/") ? g.path : `/${g.path}`) : "/";
      const url = `${(g.scheme ?? "HTTP").toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
      try {
        const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
        const res = await this.httpGet(url, headers, timeoutMs);
        if (res.status >= 200 && res.status < 400) return undefined;
        return { error: `HTTP status ${res.status}`, message: `HTTP lifecycle hook (${path}) for Container "${container.name}" in Pod "${podDesc(pod)}" failed - error: <nil>, message: "${res.body.slice(0, 1024)}"` };
      } catch (err) {
        return plain(`Get "${url}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (handler.sleep) {
      await this.clock.sleep(Math.min(handler.sleep.seconds * 1000, timeoutMs));
      return undefined;
    }
    if (handler.tcpSocket) return plain("tcpSocket is not supported as a lifecycle hook");
    return plain("a lifecycle hook needs one of exec, httpGet or sleep");
  }
}
