/**
 * `kubectl get pods`-style output for the `pods` sub-command: NAME READY STATUS RESTARTS AGE, with
 * STATUS and AGE computed as kubectl v1.20 computes them (`printPod`, `duration.HumanDuration`).
 */
import type { Pod, PodList } from "../../bindings/kube/types.ts";

/** What one table row shows for a pod. */
export interface PodRow {
  namespace: string;
  name: string;
  ready: string;
  status: string;
  restarts: number;
  age: string;
}

/**
 * A duration as kubectl prints ages: "5s", "3m2s", "10m", "2h30m", "5h", "3d4h", "12d", "2y30d".
 * Small negative values (clock skew) read as "0s"; larger ones as "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** The STATUS column, READY count and RESTARTS sum for `pod`, following kubectl's printPod. */
export function podStatusSummary(pod: Pod): { status: string; readyContainers: number; totalContainers: number; restarts: number } {
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || "";
  let restarts = 0;
  let readyContainers = 0;
  const initSpecCount = pod.spec?.initContainers?.length ?? 0;

  let initializing = false;
  let sidecarsReady = 0;
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always").length;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    // A started sidecar (restartable init container) counts like an app container, as kubectl 1.28+ shows it.
    if (pod.spec?.initContainers?.[i]?.restartPolicy === "Always" && c.started) {
      if (c.ready) sidecarsReady++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== "PodInitializing") {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${initSpecCount}`;
    }
    initializing = true;
    break;
  }

  if (!initializing) {
    restarts = 0;
    readyContainers = sidecarsReady;
    for (const [i, c] of initStatuses.entries()) if (pod.spec?.initContainers?.[i]?.restartPolicy === "Always") restarts += c.restartCount ?? 0;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walk backwards so the first container's state wins, as kubectl does.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const ready = (status.conditions ?? []).some((cond) => cond.type === "Ready" && cond.status === "True");
      reason = ready ? "Running" : "NotReady";
    }
  }

  if (pod.metadata?.deletionTimestamp) reason = status.reason === "NodeLost" ? "Unknown" : "Terminating";
  return { status: reason, readyContainers, totalContainers: (pod.spec?.containers?.length ?? 0) + sidecars, restarts };
}

/**
 * The AGE of `pod` at `nowMs`. kubectl uses creationTimestamp; static pods served by a standalone
 * kubelet have none, so the kubelet's first-seen annotation stands in for it.
 */
export function podAge(pod: Pod, nowMs: number): string {
  const since = pod.metadata?.creationTimestamp || pod.metadata?.annotations?.["kubernetes.io/config.seen"];
  const t = since ? Date.parse(since) : NaN;
  return Number.isNaN(t) ? "<unknown>" : humanDuration(nowMs - t);
}

/** The row kubectl would print for `pod` at `nowMs`. */
export function podRow(pod: Pod, nowMs: number): PodRow {
  const s = podStatusSummary(pod);
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    ready: `${s.readyContainers}/${s.totalContainers}`,
    status: s.status,
    restarts: s.restarts,
    age: podAge(pod, nowMs),
  };
}

/** Aligns cells as kubectl's tabwriter does: 3 spaces of padding, columns at least 6 wide, no trailing padding. */
function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 6, cell.length + 3)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("")).join("\n") + "\n";
}

/**
 * The `kubectl get pods` table for `list` at `nowMs`, sorted by namespace and name (the API
 * server's order). With `allNamespaces` a NAMESPACE column comes first, as `kubectl get pods -A`.
 */
export function formatPodsTable(list: PodList | Pod[], nowMs: number, options: { allNamespaces?: boolean } = {}): string {
  const pods = Array.isArray(list) ? list : list.items;
  if (pods.length === 0) return "No resources found.\n";
  const rows = pods
    .map((p) => podRow(p, nowMs))
    .sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1));
  const header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
  const cells = rows.map((r) => [r.name, r.ready, r.status, String(r.restarts), r.age]);
  if (options.allNamespaces) {
    header.unshift("NAMESPACE");
    cells.forEach((c, i) => c.unshift(rows[i]!.namespace));
  }
  return alignColumns([header, ...cells]);
}
