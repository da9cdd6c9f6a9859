/**
 * Real-runtime probe load: kubelet-ts as a process (the integration tests' KubeletProcess) on the
 * testbed containerd with N busybox pods, each with an exec liveness and an httpGet readiness probe
 * (period 1 s). Both probes log one line to the container's stdout, so the CRI log files count every
 * probe that reached a container and timestamp its arrival. Kubelet CPU comes from /proc/<pid>/stat;
 * a first phase with the same pods and no probes gives the baseline to subtract.
 */
import { readFileSync } from "node:fs";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { BUSYBOX_IMAGE, closeTestCri, testCri } from "../../tests/integration/support/cri.ts";
import { eventually } from "../../tests/integration/support/eventually.ts";
import { KubeletProcess } from "../../tests/integration/support/kubeletProcess.ts";
import { percentile } from "./stats.ts";

/** What one real-runtime run measured. */
export interface RealResult {
  pods: number;
  probes: number;
  executions: number;
  seconds: number;
  cpuSeconds: number;
  baselineCpuPerSecond: number;
  cpuPer1000: number;
  netCpuPer1000: number;
  /** Estimated lateness p50/p99 (ms) of exec and of http probe arrivals. */
  execP50: number;
  execP99: number;
  httpP50: number;
  httpP99: number;
}

const CLK_TCK = 100;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const CGI = "#!/bin/sh\necho http >> /proc/1/fd/1\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n";

function container(probes: boolean): Container {
  const script = `trap 'exit 0' TERM; mkdir -p /www/cgi-bin; echo ${b64(CGI)} | base64 -d > /www/cgi-bin/health; ` +
    "chmod +x /www/cgi-bin/health; httpd -f -p 8080 -h /www & while true; do sleep 1; done";
  const c: Container = { name: "web", image: BUSYBOX_IMAGE, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script], ports: [{ name: "http", containerPort: 8080 }] };
  if (!probes) return c;
  return {
    ...c,
    livenessProbe: { exec: { command: ["sh", "-c", "echo exec >> /proc/1/fd/1"] }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: "/cgi-bin/health", port: "http" }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 },
  };
}

const manifest = (name: string, probes: boolean): Pod =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { terminationGracePeriodSeconds: 1, containers: [container(probes)] } }) as Pod;

/** utime + stime of a process, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CRI log timestamp (RFC 3339 with ns) to ms since the epoch, keeping the sub-ms part. */
function logTime(ts: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return NaN;
  return Date.parse(m[1]! + m[3]!) + Number(`0${m[2] ?? ""}`) * 1000;
}

async function startPods(k: KubeletProcess, n: number, probes: boolean, prefix: string): Promise<Pod[]> {
  for (let i = 0; i < n; i++) k.writeManifest(`${prefix}-${i}.json`, manifest(`${prefix}-${i}`, probes));
  return eventually(`${n} pods running${probes ? " and Ready" : ""}`, async () => {
    const pods = (await k.pods()).filter((p) => p.metadata.name!.startsWith(`${prefix}-`));
    const ok = pods.filter((p) => p.status?.containerStatuses?.[0]?.state.running && (!probes || p.status.containerStatuses[0].ready));
    return ok.length === n ? pods : undefined;
  }, { timeoutMs: 240_000, intervalMs: 1000 });
}

async function removePods(k: KubeletProcess, n: number, prefix: string): Promise<void> {
  for (let i = 0; i < n; i++) k.removeManifest(`${prefix}-${i}.json`);
  const cri = await testCri();
  await eventually("pods removed", async () => {
    const left = await cri.listPodSandbox({ labelSelector: {} });
    return left.some((s) => s.metadata?.name.startsWith(`${prefix}-`) && s.metadata.name.endsWith(k.nodeName)) ? undefined : true;
  }, { timeoutMs: 240_000, intervalMs: 1000 });
}

/** Arrival times (ms) of probe log lines per container and kind, within [from, to). */
async function arrivals(pods: Pod[], from: number, to: number): Promise<Map<string, number[]>> {
  const cri = await testCri();
  const out = new Map<string, number[]>();
  for (const p of pods) {
    const id = p.status!.containerStatuses![0]!.containerID!.replace(/^\w+:\/\//, "");
    const logPath = (await cri.containerStatus(id)).status?.logPath;
    if (!logPath) continue;
    for (const line of readFileSync(logPath, "utf8").split("\n")) {
      const [ts, , , text] = line.split(" ");
      if (text !== "exec" && text !== "http") continue;
      const t = logTime(ts!);
      if (!(t >= from && t < to)) continue;
      const key = `${p.metadata.name}/${text}`;
      (out.get(key) ?? out.set(key, []).get(key)!).push(t);
    }
  }
  return out;
}

/**
 * Lateness estimate per arrival of one kind: its offset from the probe's grid, less the probe's
 * best-observed offset. Tick numbers come from consecutive gaps (at least one tick apart), so a
 * run late by more than half a period is not mistaken for an early one.
 */
function gridJitter(series: Map<string, number[]>, kind: string, periodMs: number): number[] {
  const all: number[] = [];
  for (const [key, ts] of series) {
    if (!key.endsWith(`/${kind}`) || ts.length < 2) continue;
    let tick = 0;
    const residuals = ts.map((t, i) => {
      if (i > 0) tick += Math.max(1, Math.round((t - ts[i - 1]!) / periodMs));
      return t - ts[0]! - tick * periodMs;
    });
    const best = Math.min(...residuals);
    for (const r of residuals) all.push(r - best);
  }
  return all;
}

/** Runs the baseline and probe phases; `seconds` is the probe phase's measuring window. */
export async function runRealRuntime(pods: number, seconds: number, log: (s: string) => void): Promise<RealResult> {
  const k = await KubeletProcess.create("kts-bench-probes");
  await k.start();
  const pid = k.child!.pid!;
  try {
    log(`baseline: ${pods} pods without probes`);
    await startPods(k, pods, false, "base");
    const baseSeconds = Math.max(20, Math.round(seconds / 2));
    await new Promise((r) => setTimeout(r, 5000));
    const c0 = cpuOf(pid), b0 = Date.now();
    await new Promise((r) => setTimeout(r, baseSeconds * 1000));
    const baselineCpuPerSecond = (cpuOf(pid) - c0) / ((Date.now() - b0) / 1000);
    await removePods(k, pods, "base");

    log(`probes: ${pods} pods with exec liveness + httpGet readiness, period 1 s, measuring ${seconds} s`);
    const withProbes = await startPods(k, pods, true, "prb");
    await new Promise((r) => setTimeout(r, 5000));
    const c1 = cpuOf(pid), t1 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuSeconds = cpuOf(pid) - c1, t2 = Date.now();
    const series = await arrivals(withProbes, t1, t2);
    const executions = [...series.values()].reduce((a, ts) => a + ts.length, 0);
    const execJitter = gridJitter(series, "exec", 1000);
    const httpJitter = gridJitter(series, "http", 1000);
    const windowSeconds = (t2 - t1) / 1000;
    await removePods(k, pods, "prb");
    return {
      pods, probes: pods * 2, executions, seconds: windowSeconds, cpuSeconds, baselineCpuPerSecond,
      cpuPer1000: (cpuSeconds / executions) * 1000,
      netCpuPer1000: ((cpuSeconds - baselineCpuPerSecond * windowSeconds) / executions) * 1000,
      execP50: percentile(execJitter, 0.5), execP99: percentile(execJitter, 0.99),
      httpP50: percentile(httpJitter, 0.5), httpP99: percentile(httpJitter, 0.99),
    };
  } finally {
    await k.dispose();
    await closeTestCri();
  }
}
