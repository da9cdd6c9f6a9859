/**
 * The runtime's floor for a burst, no kubelet involved: B one-container pods started with the raw
 * CRI sequence (RunPodSandbox, CreateContainer, StartContainer; configs made by the kubelet's own
 * config makers, files prepared before the clock starts), at most C at a time. Prints per-pod
 * completion (from the burst's start) p50/p99/max for each C.
 * With --gate=sandbox only RunPodSandbox is limited to C at a time (CreateContainer/StartContainer are not).
 *   node --import tsx bench/api-startup/rawBurst.ts <cri endpoint> [--burst=30] [--conc=30,8,4] [--gate=pod|sandbox] [--json=file]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectCri } from "../../hosts/node/cri.ts";
import { summarize } from "../pod-startup/stats.ts";
import { cleanupRawPod, prepareRawPod, startRawPod, type PreparedPod } from "../pod-startup/rawCri.ts";

const endpoint = process.argv[2]!;
const args = Object.fromEntries(process.argv.slice(3).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const BURST = Number(args.burst ?? 30);
const CONC = (args.conc ?? "30,4").split(",").map(Number);
const IMAGE = "127.0.0.1:5000/busybox:latest";
const GATE = args.gate ?? "pod";

const manifest = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: kts-raw
spec:
  containers:
    - name: main
      image: ${IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;

/** Runs `fns` with at most `limit` in flight; resolves to each one's finish time. */
async function limited(fns: Array<() => Promise<number>>, limit: number): Promise<number[]> {
  const out: number[] = new Array(fns.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, fns.length) }, async () => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]!();
    }
  }));
  return out;
}

const cri = await connectCri(endpoint);
const imageRef = (await cri.imageStatus({ image: IMAGE })).image?.id ?? IMAGE;
const work = mkdtempSync(join(tmpdir(), "kts-raw-"));
const results: Record<string, unknown> = {};
try {
  for (const c of CONC) {
    const pods: PreparedPod[] = [];
    for (let i = 0; i < BURST; i++) {
      pods.push(await prepareRawPod(manifest(`raw-c${c}-${i}`), `raw-${i}.yaml`, {
        nodeName: "kts-raw", workDir: work, podLogsDir: join(work, "logs"), imageRef,
        dns: { clusterDNS: [], clusterDomain: "cluster.local", hostResolvConf: "nameserver 127.0.0.1\n" },
      }));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = performance.now();
    let done: number[];
    if (GATE === "sandbox") {
      let free = c;
      const waiting: Array<() => void> = [];
      const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
      const release = () => (waiting.length ? waiting.shift()!() : free++);
      done = await Promise.all(pods.map(async (p) => {
        await acquire();
        let sandboxId: string;
        try {
          sandboxId = await cri.runPodSandbox(p.sandbox, "", { timeoutMs: 4 * 60_000 });
        } finally {
          release();
        }
        const id = await cri.createContainer(sandboxId, p.container, p.sandbox);
        await cri.startContainer(id);
        return performance.now();
      }));
    } else {
      done = await limited(pods.map((p) => () => startRawPod(cri, p)), c);
    }
    const s = summarize(done.map((t) => t - t0));
    results[`conc${c}`] = s;
    console.log(`raw CRI burst of ${BURST}, at most ${c} ${GATE === "sandbox" ? "sandboxes" : "pods"} at a time: per pod started p50 ${s.median.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`);
    for (const p of pods) await cleanupRawPod(cri, p);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  cri.close();
}
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1));
