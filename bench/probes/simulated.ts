/**
 * Simulated probe load: the real ProberManager + WasmProbeScheduler + ProbeRunner on the real
 * clock, against FAKE runtime ports (fakeRuntime.ts) that answer after a small random delay.
 * Measures process CPU per 1,000 probe executions and the lateness of every probe run as the
 * kubelet itself reports it (ProberManager's onRunStart: runner call minus the scheduled tick).
 */
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmProbeScheduler } from "../../bindings/core/probes.ts";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { EventRecorder } from "../../kubelet/events/recorder.ts";
import type { PodRuntimeStatus } from "../../kubelet/kuberuntime/podRuntimeStatus.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import { ProberManager } from "../../kubelet/prober/proberManager.ts";
import { ProbeRunner } from "../../kubelet/prober/probeRunner.ts";
import { ProbeRunStats } from "../../kubelet/prober/probeRunStats.ts";
import { fakeRuntime } from "./fakeRuntime.ts";

/** One simulated configuration. */
export interface SimScenario {
  label: string;
  containers: number;
  /** Probes per container: liveness (exec) and readiness (httpGet) always; startup (tcpSocket) if set. */
  startup: boolean;
  seconds: number;
  /** Samples due in the first `warmupSeconds` are left out (JIT, first-run stagger). */
  warmupSeconds: number;
}

/** What one simulated run measured. */
export interface SimResult {
  label: string;
  probes: number;
  executions: number;
  seconds: number;
  cpuSeconds: number;
  cpuPer1000: number;
  lateP50: number;
  lateP99: number;
  lateMax: number;
  /** Events the manager recorded (readiness failures from the fake's 2% of HTTP 500s). */
  events: number;
}

/** Real time, as the Node host's clock (timers not unref'd: the benchmark keeps the process alive). */
const clock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

/** A pod with one container carrying the scenario's probes, and its runtime status (running). */
function simPod(i: number, s: SimScenario, random: () => number, now: number): { pod: Pod; rt: PodRuntimeStatus } {
  const period = () => 1 + Math.floor(random() * 10);
  const timing = () => ({ periodSeconds: period(), timeoutSeconds: 1, failureThreshold: 3 });
  const c: Container = {
    name: "app", image: "sim",
    livenessProbe: { exec: { command: ["true"] }, ...timing() },
    readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, ...timing() },
    ...(s.startup ? { startupProbe: { tcpSocket: { port: 8080 }, ...timing(), failureThreshold: 30 } } : {}),
  };
  const uid = `sim-${i.toString(16).padStart(8, "0")}`;
  const pod: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: `sim-${i}`, namespace: "bench", uid }, spec: { containers: [c] } } as Pod;
  const rt: PodRuntimeStatus = {
    uid, name: pod.metadata.name!, namespace: "bench",
    sandboxes: [{ id: `sb-${i}`, attempt: 0, ready: true, createdAt: now, ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`], hostNetwork: false }],
    containers: [{ id: `ct-${i}`, name: "app", sandboxId: `sb-${i}`, restartCount: 0, hash: "h", state: "running", createdAt: now, startedAt: now,
      finishedAt: 0, exitCode: 0, reason: "", message: "", image: "sim", imageRef: "sim" }],
  };
  return { pod, rt };
}

/** Runs one scenario for `s.seconds` of real time. */
export async function runSimulated(s: SimScenario, coreBytes: Uint8Array): Promise<SimResult> {
  const core = await instantiateCore(coreBytes);
  const start = clock.now();
  const sched = new WasmProbeScheduler(core, { seed: 0x5eed, kubeletStartedAt: start });
  const fake = fakeRuntime({ minDelayMs: 2, maxDelayMs: 20, httpFailureRate: 0.02, seed: 7 });
  const stats = new ProbeRunStats();
  let events = 0;
  const recorder: EventRecorder = { event: () => void events++ };
  const manager = new ProberManager(sched, new ProbeRunner(fake.cri, fake.net), clock, recorder, silentLogger, () => {}, { onRunStart: stats.record });
  const random = xorshift(42);
  for (let i = 0; i < s.containers; i++) {
    const { pod, rt } = simPod(i, s, random, start);
    manager.syncPod(pod, rt);
  }
  await clock.sleep(start + s.warmupSeconds * 1000 - clock.now());
  stats.summary(); // drop the warm-up
  const cpu0 = process.cpuUsage();
  const t0 = clock.now();
  await clock.sleep(start + s.seconds * 1000 - t0);
  const cpu = process.cpuUsage(cpu0);
  const window = stats.summary();
  const t1 = clock.now();
  manager.stop();
  await clock.sleep(100); // let in-flight fakes settle before the next scenario
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    label: s.label,
    probes: sched.size,
    events,
    executions: window.runs,
    seconds: (t1 - t0) / 1000,
    cpuSeconds,
    cpuPer1000: (cpuSeconds / window.runs) * 1000,
    lateP50: window.lateP50,
    lateP99: window.lateP99,
    lateMax: window.lateMax,
  };
}
