/**
 * Probe timing on a real containerd: every handler's timeoutSeconds turns a hanging check into a
 * failure; liveness restarts follow CrashLoopBackOff from the core's backoff table; hostNetwork pods
 * are probed at the node's IP.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:net";
import type { Pod } from "../../bindings/kube/types.ts";
import { closeTestCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { criInstances, eventMessages, nsToMs, removeAndWait, statusOf, waitPod } from "./support/podKit.ts";
import { condition, PodTimeline, probeOf, probeTarget, unhealthy } from "./support/probeKit.ts";
import { webPod } from "./support/probeSuite.ts";

const test = suite("probes: timeouts and restart backoff");
let k: KubeletProcess;
let timeline: PodTimeline;
let hostPort = 0;
const pods: Pod[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const BLACKHOLE = "10.88.255.254"; // on the CNI bridge's subnet, never assigned: SYNs go unanswered

test.before(async () => {
  hostPort = await freePort();
  pods.push(
    webPod("to-exec", { ...probeTarget("exec", "web"), livenessProbe: { exec: { command: ["sleep", "5"] }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 } }),
    webPod("to-http", { ...probeTarget("http", "web"), readinessProbe: probeOf("http", {}, "/cgi-bin/slow") }),
    webPod("to-tcp", { ...probeTarget("tcp", "web"), readinessProbe: { ...probeOf("tcp"), tcpSocket: { host: BLACKHOLE, port: 9000 } } }),
    webPod("to-grpc", { ...probeTarget("grpc", "web", { touch: ["/tmp/hang"] }), readinessProbe: probeOf("grpc") }),
    webPod("backoff", { ...probeTarget("exec", "web"), livenessProbe: { exec: { command: ["sh", "-c", "echo always failing; exit 1"] }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 } }),
    webPod("hostnet", { ...probeTarget("http", "web", { httpPort: hostPort }), readinessProbe: probeOf("http") }),
  );
  pods.at(-1)!.spec.hostNetwork = true;
  k = await KubeletProcess.create("kts-pr-timing");
  await k.start();
  timeline = new PodTimeline(k).start();
  for (const p of pods) k.writeManifest(`${p.metadata.name}.json`, p);
});

test.after(async () => {
  timeline?.stop();
  if (k) await Promise.all(pods.map((p) => removeAndWait(k, `${p.metadata.name}.json`, p.metadata.name!).catch(() => undefined)));
  await k?.dispose();
  await closeTestCri();
});

const running = (p: Pod) => statusOf(p, "web")?.state.running !== undefined;

/** Waits for `n` failure events of `kind` and says how long they took after the container ran. */
async function failuresWithin(name: string, kind: "Liveness" | "Readiness", n: number, want: (ip: string) => string): Promise<number> {
  const p = await waitPod(k, name, "running", running);
  const start = Date.now();
  const text = `${kind} probe failed: ${want(p.status!.podIP!)}`;
  await eventually(`${n} "${text}" events`, () => (unhealthy(k, name, kind).filter((m) => m === text).length >= n ? true : undefined), {
    timeoutMs: 20_000, describe: () => JSON.stringify(unhealthy(k, name, kind).slice(-3)),
  });
  return Date.now() - start;
}

test("exec: a command running past timeoutSeconds is a liveness failure and restarts the container", async () => {
  const took = await failuresWithin("to-exec", "Liveness", 2, () => 'command "sleep 5" timed out');
  assert.ok(took < 8000, `two 1 s timeouts of a 5 s command took ${took} ms`);
  const p = await waitPod(k, "to-exec", "restarted", (x) => (statusOf(x, "web")?.restartCount ?? 0) >= 1);
  assert.ok(eventMessages(k, "Killing", `default/${p.metadata.name}`).includes("Container web failed liveness probe, will be restarted"));
});

test("http: a server that does not answer within timeoutSeconds is a readiness failure", async () => {
  const took = await failuresWithin("to-http", "Readiness", 3,
    (ip) => `Get "http://${ip}:8080/cgi-bin/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  assert.ok(took < 9000, `three 1 s timeouts of a 5 s answer took ${took} ms`);
  assert.is(condition((await k.pod("to-http"))!, "Ready"), "False");
});

test("tcp: a connect that is never answered times out as a readiness failure", async () => {
  const took = await failuresWithin("to-tcp", "Readiness", 3, () => `dial tcp ${BLACKHOLE}:9000: i/o timeout`);
  assert.ok(took < 9000, `three 1 s connect timeouts took ${took} ms`);
  assert.is(condition((await k.pod("to-tcp"))!, "Ready"), "False");
});

test("grpc: a health call that never returns times out as a readiness failure", async () => {
  const took = await failuresWithin("to-grpc", "Readiness", 3, () => "timeout: health rpc did not complete within 1s");
  assert.ok(took < 12_000, `three 1 s rpc timeouts took ${took} ms`);
  assert.is(condition((await k.pod("to-grpc"))!, "Ready"), "False");
});

test("hostNetwork: the probe goes to the node's IP, which is the pod's IP", async () => {
  const p = await waitPod(k, "hostnet", "Ready", (x) => condition(x, "Ready") === "True");
  assert.is(p.status!.podIP, p.status!.hostIP);
});

test("liveness restarts back off like upstream: the kill's restart is immediate until the core's 10 s CrashLoopBackOff holds one", async () => {
  const p = await waitPod(k, "backoff", "running", running);
  const uid = p.metadata.uid!;
  // upstream doBackOff looks at the newest *exited* instance: the restart in the sync that kills the
  // first instance finds none (immediate), the second starts the 10 s backoff from the first's exit
  // (already past, immediate), the third kill's restart waits 10 s after the third instance exited.
  const all = await eventually("four instances", async () => {
    const xs = await criInstances(uid, "web");
    return xs.length >= 4 && xs[3]!.startedAt > 0 ? xs : undefined;
  }, { timeoutMs: 45_000, intervalMs: 250 });
  const gap = (i: number) => nsToMs(all[i + 1]!.startedAt) - nsToMs(all[i]!.finishedAt);
  assert.ok(gap(0) < 5000, `the first liveness restart is immediate: ${gap(0)} ms`);
  assert.ok(gap(1) < 5000, `the second too (its backoff counts from the first instance's exit): ${gap(1)} ms`);
  assert.ok(gap(2) >= 10_000, `the third restart waits out the 10 s backoff after the third instance exited: ${gap(2)} ms`);
  const waiting = timeline.of("backoff").map((s) => statusOf(s.pod, "web")?.state.waiting?.reason);
  assert.ok(waiting.includes("CrashLoopBackOff"), `CrashLoopBackOff seen: ${JSON.stringify([...new Set(waiting)])}`);
  assert.ok(eventMessages(k, "BackOff", `default/${p.metadata.name}`).includes("Back-off restarting failed container"));
  assert.ok(unhealthy(k, "backoff", "Liveness").includes("Liveness probe failed: always failing"));
  const now = await waitPod(k, "backoff", "restartCount 3", (x) => (statusOf(x, "web")?.restartCount ?? 0) >= 3);
  assert.ok(statusOf(now, "web")!.restartCount >= 3);
});

test.run();
