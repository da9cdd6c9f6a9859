/**
 * Real-runtime probe load: kubelet-ts as a process (the integration tests' KubeletProcess) on the
 * testbed containerd with N busybox pods, each with an exec liveness and an httpGet readiness probe
 * (period 1 s). The kubelet logs its probe runs and their lateness every 10 s
 * (KTS_PROBE_STATS_SECONDS); its CPU comes from /proc/<pid>/stat, and a first phase with the same
 * pods without probes gives the baseline to subtract.
 */
import { readFileSync } from "node:fs";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { BUSYBOX_IMAGE, closeTestCri, testCri } from "../../tests/integration/support/cri.ts";
import { eventually } from "../../tests/integration/support/eventually.ts";
import { KubeletProcess } from "../../tests/integration/support/kubeletProcess.ts";

/** What one real-runtime run measured. */
export interface RealResult {
  pods: number;
  probes: number;
  /** Probe runs the kubelet started in the measured stats intervals. */
  executions: number;
  seconds: number;
  cpuSeconds: number;
  baselineCpuPerSecond: number;
  cpuPer1000: number;
  netCpuPer1000: number;
  /** Median of the intervals' p50 lateness, highest interval p99 and max (ms). */
  lateP50: number;
  lateP99: number;
  lateMax: number;
}

const CLK_TCK = 100;
const STATS_SECONDS = 10;

function container(probes: boolean): Container {
  const script = "trap 'exit 0' TERM; mkdir -p /www; echo ok > /www/healthz; httpd -f -p 8080 -h /www & while true; do sleep 1; done";
  const c: Container = { name: "web", image: BUSYBOX_IMAGE, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script], ports: [{ name: "http", containerPort: 8080 }] };
  if (!probes) return c;
  return {
    ...c,
    livenessProbe: { exec: { command: ["true"] }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 },
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

async function startPods(k: KubeletProcess, n: number, probes: boolean, prefix: string): Promise<void> {
  for (let i = 0; i < n; i++) k.writeManifest(`${prefix}-${i}.json`, manifest(`${prefix}-${i}`, probes));
  await eventually(`${n} pods running${probes ? " and Ready" : ""}`, async () => {
    const pods = (await k.pods()).filter((p) => p.metadata.name!.startsWith(`${prefix}-`));
    const ok = pods.filter((p) => p.status?.containerStatuses?.[0]?.state.running && (!probes || p.status.containerStatuses[0].ready));
    return ok.length === n ? true : undefined;
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

/** The kubelet's "probe runs" log lines (one per stats interval) logged at or after `from`. */
function statsLines(k: KubeletProcess, fromLine: number): { runs: number; p50: number; p99: number; max: number }[] {
  return k.log.split("\n").slice(fromLine).filter((l) => l.includes(" probe runs ")).map((l) => {
    const num = (key: string) => Number(new RegExp(` ${key}=([0-9.]+)`).exec(l)?.[1] ?? NaN);
    return { runs: num("runs"), p50: num("lateP50Ms"), p99: num("lateP99Ms"), max: num("lateMaxMs") };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the baseline and probe phases; `seconds` is the probe phase's measuring window. */
export async function runRealRuntime(pods: number, seconds: number, log: (s: string) => void): Promise<RealResult> {
  process.env.KTS_PROBE_STATS_SECONDS = String(STATS_SECONDS);
  const k = await KubeletProcess.create("kts-bench-probes");
  await k.start();
  const pid = k.child!.pid!;
  try {
    log(`baseline: ${pods} pods without probes`);
    await startPods(k, pods, false, "base");
    await sleep(5000);
    const c0 = cpuOf(pid), b0 = Date.now();
    await sleep(Math.max(20, Math.round(seconds / 2)) * 1000);
    const baselineCpuPerSecond = (cpuOf(pid) - c0) / ((Date.now() - b0) / 1000);
    await removePods(k, pods, "base");

    log(`probes: ${pods} pods with exec liveness + httpGet readiness, period 1 s, measuring ${seconds} s`);
    await startPods(k, pods, true, "prb");
    // Start measuring right after a stats line, and stop right after the last whole interval's.
    const first = statsLines(k, 0).length;
    await eventually("a stats interval boundary", () => (statsLines(k, 0).length > first ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
    const fromLine = k.log.split("\n").length;
    const c1 = cpuOf(pid), t1 = Date.now();
    const intervals = Math.max(1, Math.round(seconds / STATS_SECONDS));
    await eventually(`${intervals} stats intervals`, () => (statsLines(k, fromLine).length >= intervals ? true : undefined), {
      timeoutMs: (intervals + 2) * STATS_SECONDS * 1000, intervalMs: 20,
    });
    const cpuSeconds = cpuOf(pid) - c1, t2 = Date.now();
    const stats = statsLines(k, fromLine).slice(0, intervals);
    const executions = stats.reduce((a, s) => a + s.runs, 0);
    const p50s = stats.map((s) => s.p50).sort((a, b) => a - b);
    const windowSeconds = (t2 - t1) / 1000;
    await removePods(k, pods, "prb");
    return {
      pods, probes: pods * 2, executions, seconds: windowSeconds, cpuSeconds, baselineCpuPerSecond,
      cpuPer1000: (cpuSeconds / executions) * 1000,
      netCpuPer1000: ((cpuSeconds - baselineCpuPerSecond * windowSeconds) / executions) * 1000,
      lateP50: p50s[p50s.length >> 1]!, lateP99: Math.max(...stats.map((s) => s.p99)), lateMax: Math.max(...stats.map((s) => s.max)),
    };
  } finally {
    await k.dispose();
    await closeTestCri();
  }
}
