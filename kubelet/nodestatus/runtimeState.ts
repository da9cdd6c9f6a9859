/**
 * What the Ready condition says about the container runtime (upstream runtimeState and
 * updateRuntimeUp, v1.20): the runtime counts as up while a CRI Status call reported RuntimeReady
 * within the last 30 s; RuntimeReady=false and NetworkReady=false are errors of their own; the
 * kubelet's health checks (PLEG) add theirs. Messages are upstream's, in upstream's order.
 */
import type { RuntimeCondition, StatusResponse } from "../../bindings/cri/types.ts";

/** Upstream baseRuntimeSyncThreshold: how long a successful runtime check keeps the runtime "up". */
export const RUNTIME_SYNC_THRESHOLD_MS = 30_000;
/** How often upstream's updateRuntimeUp asks the runtime for its status. */
export const RUNTIME_CHECK_PERIOD_MS = 5_000;

function conditionText(c: RuntimeCondition | undefined): string {
  return c ? `${c.type}=${c.status} reason:${c.reason} message:${c.message}` : "<nil>";
}

/** The runtime's health as last observed; feed it CRI Status answers, read the errors. */
export class RuntimeState {
  private lastRuntimeSyncMs = 0;
  private networkError: string | undefined;
  private runtimeError: string | undefined;

  /** Records one CRI Status answer (or the error of the call) observed at `nowMs`; returns a problem to log, if any. */
  observe(result: StatusResponse | Error, nowMs: number): string | undefined {
    if (result instanceof Error) return `container runtime sanity check failed: ${result.message}`;
    const conditions = result.status?.conditions;
    if (!conditions) return "container runtime status is nil";
    const network = conditions.find((c) => c.type === "NetworkReady");
    this.networkError = network?.status ? undefined : `runtime network not ready: ${conditionText(network)}`;
    const runtime = conditions.find((c) => c.type === "RuntimeReady");
    if (!runtime?.status) {
      this.runtimeError = `Container runtime not ready: ${conditionText(runtime)}`;
      return this.runtimeError;
    }
    this.runtimeError = undefined;
    this.lastRuntimeSyncMs = nowMs;
    return undefined;
  }

  /**
   * Runtime errors (sync, health checks as "<name> is not healthy: <err>", runtime condition) then
   * network errors, as the Ready condition's message aggregates them.
   */
  errors(nowMs: number, healthChecks: Array<string | undefined> = []): string[] {
    const out: string[] = [];
    if (this.lastRuntimeSyncMs === 0) out.push("container runtime status check may not have completed yet");
    else if (nowMs - this.lastRuntimeSyncMs > RUNTIME_SYNC_THRESHOLD_MS) out.push("container runtime is down");
    for (const h of healthChecks) if (h) out.push(h);
    if (this.runtimeError) out.push(this.runtimeError);
    if (this.networkError) out.push(this.networkError);
    return out;
  }
}
