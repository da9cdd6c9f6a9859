/**
 * Pod startup benchmark: (a) the raw CRI sequence against (b) kubelet-ts from manifest written to
 * container RUNNING, on the same containerd, same pre-pulled image, in the same run. One pod at a
 * time (interleaved a/b) and a burst of 30 at once; median and p99; ratio b/a. Everything is
 * cleaned up after each measurement (not timed).
 *
 *   node --import tsx bench/pod-startup/main.ts [--n=20] [--burst=30] [--burst-rounds=3]
 *
 * The node is shared (other kubelets' tests may run on the same containerd), so bursts are repeated
 * (a, b, b-default, a, ...) and their per-pod latencies pooled; per-round medians are printed too.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { connectCri } from "../../hosts/node/cri.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import { KubeletUnderTest } from "./kubeletUnderTest.ts";
import { cleanupRawPod, prepareRawPod, startRawPod, type RawOptions } from "./rawCri.ts";
import { RunningWatch } from "./runningWatch.ts";
import { summarize, type Summary } from "./stats.ts";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const N = Number(args.n ?? 20);
const BURST = Number(args.burst ?? 30);
const BURST_ROUNDS = Number(args["burst-rounds"] ?? 3);
const ENDPOINT = process.env.KTS_CRI_ENDPOINT ?? "unix:///tmp/kts/rt/containerd.sock";
const IMAGE = "127.0.0.1:5000/busybox:latest";
const WAIT_MS = 120_000;

type Policy = "IfNotPresent" | "default";

const manifest = (name: string, policy: Policy) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
${policy === "IfNotPresent" ? "      imagePullPolicy: IfNotPresent\n" : ""}      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), WAIT_MS)))]).finally(() => clearTimeout(t));
}

async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runtimeEmpty(cri: Cri, node: string): Promise<boolean> {
  const sel = { labelSelector: { "io.kubelet-ts.managed": node } };
  const [sb, ct] = await Promise.all([cri.listPodSandbox(sel), cri.listContainers(sel)]);
  return sb.length === 0 && ct.length === 0;
}

/** (a): `count` raw pods started at once (1 = one pod); latencies to observed RUNNING, and to StartContainer returned. */
async function rawRound(cri: Cri, watch: RunningWatch, o: RawOptions, tag: string, count: number): Promise<{ observed: number[]; returned: number[] }> {
  const pods = await Promise.all(Array.from({ length: count }, (_, i) => prepareRawPod(manifest(`${tag}-${i}`, "IfNotPresent"), `/raw/${tag}-${i}.yaml`, o)));
  const seen = pods.map((p) => within(watch.running(p.pod.metadata.name!), `raw ${p.pod.metadata.name} running`));
  const t0 = performance.now();
  const returned = await Promise.all(pods.map((p) => startRawPod(cri, p)));
  const observed = await Promise.all(seen);
  for (const p of pods) await cleanupRawPod(cri, p);
  return { observed: observed.map((t) => t - t0), returned: returned.map((t) => t - t0) };
}

/** (b): `count` manifests written at once; latencies from the first write to observed RUNNING. */
async function kubeletRound(cri: Cri, watch: RunningWatch, k: KubeletUnderTest, tag: string, count: number, policy: Policy): Promise<number[]> {
  const names = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  const seen = names.map((n) => within(watch.running(`${n}-${k.nodeName}`), `kubelet ${n} running`));
  const texts = names.map((n) => manifest(n, policy));
  const t0 = performance.now();
  names.forEach((n, i) => k.writeManifest(`${n}.yaml`, texts[i]!));
  const observed = await Promise.all(seen);
  for (const n of names) k.removeManifest(`${n}.yaml`);
  await until("kubelet cleanup", async () => (await k.podNames()).length === 0 && (await runtimeEmpty(cri, k.nodeName)));
  return observed.map((t) => t - t0);
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(0).padStart(7) : "      -");
const row = (label: string, s: Summary) => `${label.padEnd(46)} ${String(s.n).padStart(3)} ${fmt(s.median)} ${fmt(s.p99)} ${fmt(s.min)} ${fmt(s.max)}`;
const ratio = (b: Summary, a: Summary) => `median ${(b.median / a.median).toFixed(2)}  p99 ${(b.p99 / a.p99).toFixed(2)}`;

async function main(): Promise<void> {
  const cri = await connectCri(ENDPOINT);
  const image = (await cri.imageStatus({ image: IMAGE, annotations: {} })).image;
  if (!image) throw new Error(`${IMAGE} is not present in containerd: run scripts/env/runtime-up.sh`);
  const work = mkdtempSync(join(tmpdir(), "kts-bench-"));
  const podLogsDir = join(work, "logs");
  const k = KubeletUnderTest.create("bench-kts", ENDPOINT, podLogsDir, 10_000 + Math.floor(Math.random() * 20_000));
  const rawNode = `bench-raw-${Math.random().toString(36).slice(2, 8)}`;
  const o: RawOptions = {
    nodeName: rawNode, workDir: join(work, "raw"), podLogsDir,
    dns: { clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", hostResolvConf: readFileSync("/etc/resolv.conf", "utf8") },
    imageRef: image.id,
  };
  const watch = new RunningWatch(cri, [rawNode, k.nodeName]);
  const results = {
    aOne: [] as number[], aOneReturned: [] as number[], bOne: [] as number[], bOneDefault: [] as number[],
    aBurst: [] as number[], aBurstReturned: [] as number[], bBurst: [] as number[], bBurstDefault: [] as number[],
  };
  const rounds: string[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    await k.start();
    watch.start();
    // Warm-up (not counted): first sandbox on a fresh kubelet, grpc channels, JIT.
    await rawRound(cri, watch, o, "warm-a", 1);
    await kubeletRound(cri, watch, k, "warm-b", 1, "IfNotPresent");
    for (let i = 0; i < N; i++) {
      const a = await rawRound(cri, watch, o, `a-${i}`, 1);
      results.aOne.push(...a.observed);
      results.aOneReturned.push(...a.returned);
      results.bOne.push(...(await kubeletRound(cri, watch, k, `b-${i}`, 1, "IfNotPresent")));
      results.bOneDefault.push(...(await kubeletRound(cri, watch, k, `d-${i}`, 1, "default")));
      process.stderr.write(`\rone by one: ${i + 1}/${N}`);
    }
    process.stderr.write("\n");
    for (let r = 0; r < BURST_ROUNDS; r++) {
      const a = await rawRound(cri, watch, o, `ab${r}`, BURST);
      const b = await kubeletRound(cri, watch, k, `bb${r}`, BURST, "IfNotPresent");
      const d = await kubeletRound(cri, watch, k, `db${r}`, BURST, "default");
      results.aBurst.push(...a.observed);
      results.aBurstReturned.push(...a.returned);
      results.bBurst.push(...b);
      results.bBurstDefault.push(...d);
      rounds.push(`round ${r + 1}: a ${summarize(a.observed).median.toFixed(0)}  b ${summarize(b).median.toFixed(0)}  b-default ${summarize(d).median.toFixed(0)}`);
      process.stderr.write(`\rbursts: ${r + 1}/${BURST_ROUNDS}`);
    }
    process.stderr.write("\n");
  } finally {
    watch.stop();
    await k.dispose();
    rmSync(work, { recursive: true, force: true });
    cri.close();
  }
  const s = Object.fromEntries(Object.entries(results).map(([key, v]) => [key, summarize(v)])) as Record<keyof typeof results, Summary>;
  console.log(`pod startup, ms (create -> container RUNNING seen by CRI ListContainers polled every ~10 ms; ${watch.rounds} polls)`);
  console.log(`${"".padEnd(46)}   n  median     p99     min     max`);
  console.log(row("(a) raw CRI, one by one", s.aOne));
  console.log(row("    (a) StartContainer returned", s.aOneReturned));
  console.log(row("(b) kubelet-ts, one by one, IfNotPresent", s.bOne));
  console.log(row("    (b) default pull policy (Always on :latest)", s.bOneDefault));
  console.log(row(`(a) raw CRI, ${BURST_ROUNDS} bursts of ${BURST}`, s.aBurst));
  console.log(row("    (a) StartContainer returned", s.aBurstReturned));
  console.log(row(`(b) kubelet-ts, ${BURST_ROUNDS} bursts of ${BURST}, IfNotPresent`, s.bBurst));
  console.log(row("    (b) default pull policy (Always on :latest)", s.bBurstDefault));
  console.log(`ratio b/a one by one (IfNotPresent): ${ratio(s.bOne, s.aOne)}   (default policy: ${ratio(s.bOneDefault, s.aOne)})`);
  console.log(`ratio b/a burst      (IfNotPresent): ${ratio(s.bBurst, s.aBurst)}   (default policy: ${ratio(s.bBurstDefault, s.aBurst)})`);
  console.log(`burst medians per round (ms): ${rounds.join(" | ")}`);
  console.log(`load average (1 min) ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end, on ${cpus().length} cores (other tests share this containerd)`);
  console.log(`target: ratio <= 1.15`);
}

main().then(() => process.exit(0), (err) => {
  console.error(`pod-startup bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
