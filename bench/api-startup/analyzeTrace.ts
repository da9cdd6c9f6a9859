/**
 * Where a kubelet-ts pod start goes, from a traced run (KTS_BENCH_BIN=trace bash run.sh):
 *   node --import tsx bench/api-startup/analyzeTrace.ts <result.json> [trace.jsonl]
 * For every kubelet-ts pod of the result: the watcher's create time and Ready time, and from the
 * trace the kubelet's watch event, its CRI calls, volume/cgroup work and status PATCH; prints the
 * median (and p90) of each phase per scenario, plus CRI concurrency and event-loop lag in bursts.
 */
import { readFileSync } from "node:fs";
import { summarize } from "../pod-startup/stats.ts";

interface Rec { k: string; m: string; t0: number; t1: number; uid?: string; a?: string; pod?: string; err?: string; maxMs?: number; meanMs?: number; cpuMs?: number }
const [resultFile, traceFile = "/tmp/kts-bench/logs/trace.jsonl"] = process.argv.slice(2);
if (!resultFile) throw new Error("usage: analyzeTrace.ts <result.json> [trace.jsonl]");
const result = JSON.parse(readFileSync(resultFile, "utf8"));
const trace: Rec[] = readFileSync(traceFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

const byName = new Map<string, string>(); // pod name -> uid (from the kubelet's watch)
for (const r of trace) if (r.k === "watch" && r.pod && r.uid) byName.set(r.pod, r.uid);

type Phases = Record<string, number>;
const PHASES = [
  "create->kubelet watch", "watch->first pod work", "pod dir+cgroup+volumes", "->RunPodSandbox", "RunPodSandbox",
  "sandbox->CreateContainer", "CreateContainer", "StartContainer", "started->PATCH", "PATCH status", "PATCH->watcher Ready", "total (watcher)",
];

function phasesOf(p: any): Phases | undefined {
  const uid = byName.get(p.name);
  if (!uid || p.t_ready === undefined) return undefined;
  const mine = trace.filter((r) => r.uid === uid || (r.a && r.a.includes(uid)));
  const watch = trace.find((r) => r.k === "watch" && r.uid === uid && r.m === "ADDED");
  const cri = (m: string) => mine.find((r) => r.k === "cri" && r.m === m);
  const run = cri("runPodSandbox"), create = cri("createContainer"), start = cri("startContainer");
  const patches = trace.filter((r) => r.k === "api" && r.m === "PATCH" && r.a?.endsWith(`/pods/${p.name}/status`) && r.t1 <= p.t_ready + 5);
  const patch = patches[patches.length - 1];
  if (!watch || !run || !create || !start || !patch) return undefined;
  const podWork = mine.filter((r) => r.k !== "cri" && r.k !== "watch" && r.t0 >= watch.t0 && r.t1 <= run.t0);
  const firstWork = Math.min(...mine.filter((r) => r.k !== "watch" && r.t0 >= watch.t0).map((r) => r.t0));
  const workEnd = podWork.length ? Math.max(...podWork.map((r) => r.t1)) : firstWork;
  return {
    "create->kubelet watch": watch.t0 - p.t_req,
    "watch->first pod work": firstWork - watch.t0,
    "pod dir+cgroup+volumes": workEnd - firstWork,
    "->RunPodSandbox": run.t0 - workEnd,
    RunPodSandbox: run.t1 - run.t0,
    "sandbox->CreateContainer": create.t0 - run.t1,
    CreateContainer: create.t1 - create.t0,
    StartContainer: start.t1 - start.t0,
    "started->PATCH": patch.t0 - start.t1,
    "PATCH status": patch.t1 - patch.t0,
    "PATCH->watcher Ready": p.t_ready - patch.t1,
    "total (watcher)": p.t_ready - p.t_req,
  };
}

for (const s of result.sessions.filter((x: any) => x.kubelet === "kubelet-ts")) {
  for (const sc of s.scenarios) {
    const rows = sc.pods.map(phasesOf).filter(Boolean) as Phases[];
    console.log(`\n== rep ${s.rep} ${sc.scenario}: ${rows.length}/${sc.pods.length} pods traced (ms: p50 / p90 / max)`);
    for (const ph of PHASES) {
      const x = summarize(rows.map((r) => r[ph]!));
      const xs = rows.map((r) => r[ph]!).sort((a, b) => a - b);
      const p90 = xs[Math.min(xs.length - 1, Math.ceil(0.9 * xs.length) - 1)];
      console.log(`  ${ph.padEnd(26)} ${x.median.toFixed(0).padStart(6)} ${String(Math.round(p90 ?? NaN)).padStart(6)} ${x.max.toFixed(0).padStart(6)}`);
    }
    if (sc.scenario.startsWith("burst") && sc.pods.length) {
      const t0 = Math.min(...sc.pods.map((p: any) => p.t_req)), t1 = Math.max(...sc.pods.map((p: any) => p.t_ready ?? 0));
      const inWin = trace.filter((r) => r.t0 >= t0 && (r.t1 ?? r.t0) <= t1);
      const counts = new Map<string, { n: number; ms: number }>();
      for (const r of inWin) {
        if (r.k === "loop" || r.k === "watch") continue;
        const key = `${r.k}.${r.m}`;
        const c = counts.get(key) ?? { n: 0, ms: 0 };
        c.n++;
        c.ms += r.t1 - r.t0;
        counts.set(key, c);
      }
      console.log(`  calls during the burst (${(t1 - t0).toFixed(0)} ms): ` + [...counts].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14).map(([k, c]) => `${k} ${c.n}x avg ${(c.ms / c.n).toFixed(0)}`).join(", "));
      const loops = inWin.filter((r) => r.k === "loop");
      const cpu = loops.reduce((a, r) => a + (r.cpuMs ?? 0), 0);
      console.log(`  kubelet event loop during the burst: max delay ${Math.max(0, ...loops.map((r) => r.maxMs ?? 0)).toFixed(0)} ms, mean of means ${(loops.reduce((a, r) => a + (r.meanMs ?? 0), 0) / Math.max(1, loops.length)).toFixed(1)} ms; kubelet CPU ${cpu.toFixed(0)} ms (${((100 * cpu) / (t1 - t0)).toFixed(0)}% of one core)`);
      const runs = inWin.filter((r) => r.k === "cri" && r.m === "runPodSandbox");
      if (runs.length) console.log(`  RunPodSandbox: first started +${(Math.min(...runs.map((r) => r.t0)) - t0).toFixed(0)} ms, last started +${(Math.max(...runs.map((r) => r.t0)) - t0).toFixed(0)} ms, last ended +${(Math.max(...runs.map((r) => r.t1)) - t0).toFixed(0)} ms`);
      const starts = inWin.filter((r) => r.k === "cri" && r.m === "startContainer");
      if (starts.length) console.log(`  StartContainer: first ended +${(Math.min(...starts.map((r) => r.t1)) - t0).toFixed(0)} ms, last ended +${(Math.max(...starts.map((r) => r.t1)) - t0).toFixed(0)} ms`);
      const patches = inWin.filter((r) => r.k === "api" && r.m === "PATCH" && r.a?.includes("/pods/"));
      if (patches.length) console.log(`  status PATCHes: ${patches.length}, first started +${(Math.min(...patches.map((r) => r.t0)) - t0).toFixed(0)} ms, last ended +${(Math.max(...patches.map((r) => r.t1)) - t0).toFixed(0)} ms`);
    }
  }
}
