/**
 * The probe benchmark: (a) 1,000 simulated containers x 3 probes (and 1,500 x 2 = 3,000 recurring
 * probes) on FAKE runtime ports with the real ProberManager + WasmProbeScheduler and the real clock;
 * (b) kubelet-ts on the real containerd with 50 pods (exec + httpGet probes, period 1 s).
 *
 *   node --import tsx bench/probes/run.ts [--seconds=60] [--pods=50] [--only=sim,real]
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { runRealRuntime, type RealResult } from "./realRuntime.ts";
import { runSimulated, type SimResult } from "./simulated.ts";
import { table } from "./stats.ts";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const seconds = Number(arg("seconds") ?? 60);
const podCount = Number(arg("pods") ?? 50);
const only = new Set((arg("only") ?? "sim,real").split(","));
const load0 = loadavg();
const log = (s: string) => process.stderr.write(`[bench/probes ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");

const sims: SimResult[] = [];
if (only.has("sim")) {
  const bytes = readFileSync(new URL("../../dist/core.wasm", import.meta.url));
  for (const s of [
    { label: "sim 1000 x (startup+liveness+readiness)", containers: 1000, startup: true },
    { label: "sim 1500 x (liveness+readiness)", containers: 1500, startup: false },
  ]) {
    log(`${s.label}: ${seconds} s`);
    sims.push(await runSimulated({ ...s, seconds, warmupSeconds: 5 }, bytes));
  }
}
let real: RealResult | undefined;
if (only.has("real")) real = await runRealRuntime(podCount, seconds, log);

const rows: string[][] = sims.map((r) => [r.label, String(r.probes), String(r.executions), f(r.executions / r.seconds, 0),
  f(r.cpuSeconds, 2), f(r.cpuPer1000, 3), "-", f(r.lateP50, 0), f(r.lateP99, 0), f(r.lateMax, 0)]);
if (real) {
  rows.push([`real ${real.pods} pods x (exec+http), kubelet-ts`, String(real.probes), String(real.executions), f(real.executions / real.seconds, 0),
    f(real.cpuSeconds, 2), f(real.cpuPer1000, 3), f(real.netCpuPer1000, 3), f(real.lateP50, 0), f(real.lateP99, 0), f(real.lateMax, 0)]);
}
console.log(`\nProbe benchmark (node ${process.version}, ${seconds} s windows; 1-min load average ${load0[0]!.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end on ${cpus().length} CPUs)\n`);
console.log(table(["run", "probes", "runs", "runs/s", "cpu s", "cpu s/1k runs", "net of idle", "late p50 ms", "late p99 ms", "max ms"], rows));
console.log(`
lateness: runner call minus the probe's scheduled tick, as the ProberManager reports it (timer delay,
     batching, the 64-probe concurrency cap); not the runtime's answer time.
sim: process CPU (manager + Wasm scheduler + runner + the FAKE ports) over the window after 5 s warm-up.
real: kubelet process utime+stime (/proc/<pid>/stat) over whole 10 s stats intervals; runs are the kubelet's
     own count; lateness p50 is the median of the intervals' p50, p99/max the highest interval's; "net of
     idle" subtracts the same pods' CPU without probes (${real ? f(real.baselineCpuPerSecond, 3) : "n/a"} CPU s per s).`);
process.exit(0);
