/** bench/api-startup's results: what one measured pod, scenario and session hold, and the report table. */
import { summarize, type Summary } from "../pod-startup/stats.ts";

export interface PodResult {
  name: string;
  t_req: number;
  t_resp: number;
  creationTimestamp: string;
  t_ready?: number;
  ready_ms?: number;
  ready_from_creationTs_ms?: number;
  /** First status written by the kubelet (a condition besides PodScheduled), from t_req. */
  first_status_ms?: number;
  running_ms?: number;
  delete_ms?: number;
  events?: Array<{ dt: number; type: string; what: string }>;
}
export interface ScenarioResult {
  scenario: string;
  pods: PodResult[];
  allReadyMs?: number;
  allGoneMs?: number;
  error?: string;
  /** Measurements repeated because the API server was down or restarted meanwhile (not in the figures). */
  discarded: Array<{ why: string[]; pods: PodResult[]; allReadyMs?: number }>;
}
export interface ProcStat { rss_kb_median: number; rss_kb_max: number; cpu_pct_of_one_core: number; wall_s: number; raw: string }
export interface Session { kubelet: string; rep: number; describe: string; pid: number; nodeReadyMs?: number; scenarios: ScenarioResult[]; idle?: ProcStat; load?: ProcStat; loadPods?: number; error?: string; loadavg: { before: number[]; after?: number[] } }

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "-" : String(Math.round(x)));
const trio = (s: Summary) => `${fmt(s.median).padStart(6)} ${fmt(s.p99).padStart(6)} ${fmt(s.max).padStart(6)}`;

function pooled(sessions: Session[], kubelet: string, scenario: string, key: keyof PodResult): number[] {
  return sessions.filter((s) => s.kubelet === kubelet).flatMap((s) => s.scenarios.filter((x) => x.scenario === scenario).flatMap((x) => x.pods.map((p) => p[key] as number).filter((v) => typeof v === "number")));
}

/** The table of both kubelets' figures (lines to print) and the same figures as JSON. */
export function report(sessions: Session[], kubelets: string[], o: { scenarios: string[]; burst: number }): { lines: string[]; summary: Record<string, unknown> } {
  const SCENARIOS = o.scenarios;
  const BURST = o.burst;
  const lines: string[] = [];
  const summary: Record<string, any> = {};
  lines.push(`create -> first watch event Running+Ready (ms): watcher clock = from just before the POST; creationTs = from metadata.creationTimestamp (1 s resolution)`);
  lines.push(`${"scenario".padEnd(11)} ${"kubelet".padEnd(11)} ${"n".padStart(3)} | watcher p50    p99    max | creationTs p50  p99    max | delete->gone p50  p99 | burst all-Ready`);
  for (const sc of SCENARIOS) {
    for (const k of kubelets) {
      const w = summarize(pooled(sessions, k, sc, "ready_ms"));
      const c = summarize(pooled(sessions, k, sc, "ready_from_creationTs_ms"));
      const d = summarize(pooled(sessions, k, sc, "delete_ms"));
      const fs = summarize(pooled(sessions, k, sc, "first_status_ms"));
      const allReady = sessions.filter((s) => s.kubelet === k).flatMap((s) => s.scenarios.filter((x) => x.scenario === sc && x.allReadyMs !== undefined).map((x) => Math.round(x.allReadyMs!)));
      summary[`${k}/${sc}`] = { watcher: w, creationTs: c, delete: d, firstKubeletStatus: fs, burstAllReadyMs: allReady };
      lines.push(`${sc.padEnd(11)} ${k.padEnd(11)} ${String(w.n).padStart(3)} |      ${trio(w)} |      ${trio(c)} |        ${fmt(d.median).padStart(6)} ${fmt(d.p99).padStart(6)} | ${allReady.join(", ")}`);
    }
  }
  for (const [a, b] of [["kubelet-ts", "upstream"], ["kubelet-ts", "kubelet-ts@base"]]) {
    if (!kubelets.includes(a!) || !kubelets.includes(b!)) continue;
    lines.push(`${a} p50 / ${b} p50 (watcher clock; creationTimestamp):`);
    for (const sc of SCENARIOS) {
      const x = summary[`${a}/${sc}`], y = summary[`${b}/${sc}`];
      const rw = x.watcher.median / y.watcher.median, rc = x.creationTs.median / y.creationTs.median;
      summary[`ratio/${sc}${b === "upstream" ? "" : `/${b}`}`] = { watcher: rw, creationTs: rc };
      lines.push(`  ${sc.padEnd(11)} ${rw.toFixed(2)}  ${rc.toFixed(2)}`);
    }
  }
  lines.push(`kubelet process (procstat.sh): RSS median MiB, CPU % of one core`);
  for (const k of kubelets) {
    const ss = sessions.filter((s) => s.kubelet === k);
    const idle = ss.map((s) => s.idle).filter(Boolean) as ProcStat[];
    const load = ss.map((s) => s.load).filter(Boolean) as ProcStat[];
    const mib = (x: ProcStat[]) => x.map((p) => (p.rss_kb_median / 1024).toFixed(1)).join("/");
    const cpu = (x: ProcStat[]) => x.map((p) => p.cpu_pct_of_one_core.toFixed(2)).join("/");
    summary[`${k}/process`] = { idle, load };
    lines.push(`  ${k.padEnd(11)} idle: RSS ${mib(idle)} MiB, CPU ${cpu(idle)} % | ${BURST} pods: RSS ${mib(load)} MiB, CPU ${cpu(load)} %   (per repetition)`);
  }
  if (kubelets.includes("kubelet-ts")) {
    const checks: string[] = [];
    for (const sc of SCENARIOS) {
      const a = summary[`kubelet-ts/${sc}`];
      const ratio = summary[`ratio/${sc}`];
      checks.push(`${sc}: p99 ${fmt(a.watcher.p99)} ms ${a.watcher.p99 <= 1000 ? "<=" : ">"} 1000${ratio ? `, p50 ratio ${ratio.watcher.toFixed(2)} ${ratio.watcher <= 0.5 ? "<=" : ">"} 0.5` : ""}`);
    }
    lines.push(`targets (kubelet-ts, watcher clock): ${checks.join("; ")}`);
  }
  return { lines, summary };
}

