/**
 * kubelet-ts in cluster mode running workloads from the API server 1.20.2 (scheduler and
 * controller-manager included): a Deployment's pods Running and Ready, the status shape upstream
 * writes, a crashing container's restarts and CrashLoopBackOff, graceful deletion, and the events
 * `kubectl get events` shows.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import type { Pod } from "../../bindings/kube/types.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, getNode, listPods, mustRequest, recordWatch, waitPod, type CoreEvent, type Recording } from "./support/apiObjects.ts";
import { kubectl } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { BUSYBOX, podObject, READY_FILE_PROBE, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;
/** Every change of the Deployment's pods, from before they were created. */
let webWatch: Recording<Pod> | undefined;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-work" });
  ns = await createNamespace("work");
  await k.start();
});

test.after(async () => {
  webWatch?.stop();
  await k.cleanup();
  await deleteNamespace(ns);
});

/** `kubectl get pods` rows as [name, ready, status, restarts]. */
async function kubectlPods(selector: string): Promise<string[][]> {
  const out = await kubectl(["-n", ns, "get", "pods", "-l", selector, "--no-headers"]);
  return out.trim().split("\n").filter(Boolean).map((l) => l.trim().split(/\s+/).slice(0, 4));
}

/** `kubectl get events` in the namespace (JSON). */
async function kubectlEvents(): Promise<CoreEvent[]> {
  return JSON.parse(await kubectl(["-n", ns, "get", "events", "-o", "json"])).items;
}

const deployment = (replicas: number) => ({
  apiVersion: "apps/v1", kind: "Deployment",
  metadata: { name: "web", namespace: "" },
  spec: {
    replicas, selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { ...k.placement(), terminationGracePeriodSeconds: 5, containers: [shContainer("main", TRAPPING_SLEEPER, { readinessProbe: READY_FILE_PROBE })] },
    },
  },
});

test("kubectl apply of a 3-replica Deployment: the scheduler places the pods on this node; Running and Ready in kubectl get pods", async () => {
  const d = deployment(3);
  d.metadata.namespace = ns;
  webWatch = recordWatch<Pod>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`);
  await kubectl(["apply", "-f", "-"], JSON.stringify(d));
  const rows = await eventually("3 pods 1/1 Running", async () => {
    const r = await kubectlPods("app=web");
    return r.length === 3 && r.every((x) => x[1] === "1/1" && x[2] === "Running" && x[3] === "0") ? r : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, describe: () => k.output() });
  assert.is(rows.length, 3);
  assert.ok((await listPods(ns, "app=web")).every((p) => p.spec.nodeName === k.nodeName));
  await eventually("deployment 3/3 ready", async () => ((await kubectl(["-n", ns, "get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"])) === "3" ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
});

test("kubectl get pod -o yaml: status has upstream's shape (conditions, containerStatuses, hostIP, podIP(s), qosClass, startTime)", async () => {
  const name = (await listPods(ns, "app=web"))[0]!.metadata.name!;
  const pod = parse(await kubectl(["-n", ns, "get", "pod", name, "-o", "yaml"])) as Pod;
  const st = pod.status!;
  const node = (await getNode(k.nodeName))!;
  assert.is(st.phase, "Running");
  assert.equal(st.conditions!.map((c) => [c.type, c.status]), [["Initialized", "True"], ["Ready", "True"], ["ContainersReady", "True"], ["PodScheduled", "True"]]);
  for (const c of st.conditions!) {
    assert.is(c.lastProbeTime, null, `${c.type}.lastProbeTime`);
    assert.match(c.lastTransitionTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.is(c.reason, undefined, `${c.type} has no reason when True`);
  }
  // PodScheduled keeps the time the scheduler wrote.
  const bySched = webWatch!.events.map((e) => e.object).find((p) => p.metadata.uid === pod.metadata.uid && p.status?.conditions?.some((c) => c.type === "PodScheduled"));
  assert.is(st.conditions![3]!.lastTransitionTime, bySched!.status!.conditions!.find((c) => c.type === "PodScheduled")!.lastTransitionTime);
  assert.is(st.hostIP, node.status!.addresses!.find((a) => a.type === "InternalIP")!.address);
  assert.match(st.podIP!, /^10\.88\.\d+\.\d+$/);
  assert.equal(st.podIPs, [{ ip: st.podIP }]);
  assert.is(st.qosClass, "BestEffort");
  assert.match(st.startTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.is(st.initContainerStatuses, undefined);
  assert.is(st.containerStatuses!.length, 1);
  const cs = st.containerStatuses![0]!;
  assert.equal(Object.keys(cs).sort(), ["containerID", "image", "imageID", "lastState", "name", "ready", "restartCount", "started", "state"]);
  assert.is(cs.name, "main");
  assert.equal(Object.keys(cs.state), ["running"]);
  assert.match(cs.state.running!.startedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(cs.state.running!.startedAt! >= st.startTime!, "the container started after the pod");
  assert.equal(cs.lastState, {});
  assert.is(cs.ready, true);
  assert.is(cs.started, true);
  assert.is(cs.restartCount, 0);
  assert.is(cs.image, BUSYBOX);
  assert.match(cs.imageID, /^127\.0\.0\.1:5000\/busybox@sha256:[0-9a-f]{64}$/);
  assert.match(cs.containerID!, /^containerd:\/\/[0-9a-f]{64}$/);
  // The service account token volume was mounted (the 1.20 admission plugin adds it).
  assert.ok(pod.spec.volumes!.some((v) => v.name.startsWith("default-token-")));
});

test("a crashing container: restartCount counts the restarts, CrashLoopBackOff with upstream's message, BackOff events", async () => {
  const created = await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "crash", k.placement(), [shContainer("crash", "echo bye; exit 3")], { automountServiceAccountToken: false }));
  const uid = created.metadata.uid!;
  const waitingBackOff = (restarts: number) => (p: Pod) => {
    const cs = p.status?.containerStatuses?.[0];
    return cs?.restartCount === restarts && cs.state.waiting?.reason === "CrashLoopBackOff";
  };
  const first = await waitPod(ns, "crash", "CrashLoopBackOff after 1 restart", waitingBackOff(1), 30_000, () => k.output());
  const cs = first.status!.containerStatuses![0]!;
  assert.is(cs.state.waiting!.message, `back-off 10s restarting failed container=crash pod=crash_${ns}(${uid})`);
  assert.is(cs.lastState.terminated!.exitCode, 3);
  assert.is(cs.lastState.terminated!.reason, "Error");
  assert.is(cs.ready, false);
  assert.is(first.status!.phase, "Running");
  const readyCond = first.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.equal([readyCond.status, readyCond.reason, readyCond.message], ["False", "ContainersNotReady", "containers with unready status: [crash]"]);
  const row = (await kubectlPods("!app"))[0]!;
  assert.equal(row, ["crash", "0/1", "CrashLoopBackOff", "1"]);

  const second = await waitPod(ns, "crash", "CrashLoopBackOff after 2 restarts", waitingBackOff(2), 40_000, () => k.output());
  assert.is(second.status!.containerStatuses![0]!.state.waiting!.message, `back-off 20s restarting failed container=crash pod=crash_${ns}(${uid})`);
  const events = (await kubectlEvents()).filter((e) => e.involvedObject.name === "crash");
  const backOff = events.find((e) => e.reason === "BackOff")!;
  assert.ok(backOff, events.map((e) => e.reason).join(","));
  assert.is(backOff.type, "Warning");
  assert.is(backOff.message, "Back-off restarting failed container");
  assert.is(backOff.involvedObject.fieldPath, "spec.containers{crash}");
  assert.ok(backOff.count >= 1);
  const started = events.find((e) => e.reason === "Started")!;
  assert.ok(started.count >= 2, `Started counted on each restart (count ${started.count})`);
  await kubectl(["-n", ns, "delete", "pod", "crash", "--wait=true", "--timeout=30s"]);
});

test("kubectl delete: a container trapping TERM exits 0 at once, one ignoring it is killed after the grace period; the objects are gone", async () => {
  const mk = (name: string, script: string) => mustRequest("POST", `/api/v1/namespaces/${ns}/pods`,
    podObject(ns, name, k.placement(), [shContainer("main", script)], { automountServiceAccountToken: false, terminationGracePeriodSeconds: 4 }, { stop: name }));
  await mk("trapper", TRAPPING_SLEEPER);
  await mk("ignorer", "touch /tmp/ready; sleep 3600");
  for (const n of ["trapper", "ignorer"]) await waitPod(ns, n, "Running", (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
  const watch = recordWatch<Pod>(`/api/v1/namespaces/${ns}/pods?labelSelector=stop`);
  try {
    await new Promise((r) => setTimeout(r, 300)); // the watch is established
    const t0 = Date.now();
    await kubectl(["-n", ns, "delete", "pod", "trapper", "ignorer", "--wait=false"]);
    const goneAt = async (name: string) => (await eventually(`${name} gone`, () => watch.events.find((e) => e.type === "DELETED" && e.object.metadata.name === name), { timeoutMs: 30_000, describe: () => k.output() })).at - t0;
    const [trapGone, ignoreGone] = [await goneAt("trapper"), await goneAt("ignorer")];
    const last = (name: string) => watch.events.filter((e) => e.object.metadata.name === name).at(-1)!.object.status!.containerStatuses![0]!.state.terminated;
    assert.equal([last("trapper")?.exitCode, last("trapper")?.reason], [0, "Completed"], "TERM trapped: exit 0");
    assert.equal([last("ignorer")?.exitCode, last("ignorer")?.reason], [137, "Error"], "killed after the grace period");
    assert.ok(trapGone < 3_000, `the trapping pod was gone after ${trapGone} ms`);
    assert.ok(ignoreGone >= 4_000 && ignoreGone < 9_000, `the ignoring pod was gone after ${ignoreGone} ms (grace 4 s)`);
  } finally {
    watch.stop();
  }
  const killing = (await kubectlEvents()).filter((e) => e.reason === "Killing" && e.involvedObject.name === "ignorer");
  assert.equal(killing.map((e) => [e.type, e.message, e.involvedObject.fieldPath]), [["Normal", "Stopping container main", "spec.containers{main}"]]);
});

test("kubectl delete deployment: its pods stop gracefully and are gone; kubectl get events shows Scheduled, Pulled, Created, Started, Killing", async () => {
  const pods = await listPods(ns, "app=web");
  const watch = recordWatch<Pod>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`);
  try {
    await kubectl(["-n", ns, "delete", "deployment", "web"]);
    await eventually("the deployment's pods gone", async () => ((await listPods(ns, "app=web")).length === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, describe: () => k.output() });
    for (const p of pods) {
      const mine = watch.events.filter((e) => e.object.metadata.uid === p.metadata.uid);
      assert.is(mine.at(-1)?.type, "DELETED", p.metadata.name);
      assert.is(mine.at(-1)!.object.status!.containerStatuses![0]!.state.terminated?.exitCode, 0, `${p.metadata.name} exited 0 on TERM`);
    }
  } finally {
    watch.stop();
  }
  const events = await kubectlEvents();
  for (const p of pods) {
    const about = events.filter((e) => e.involvedObject.uid === p.metadata.uid);
    const by = (reason: string) => about.find((e) => e.reason === reason);
    assert.ok(by("Scheduled"), `Scheduled for ${p.metadata.name}: ${about.map((e) => e.reason)}`);
    assert.is(by("Pulled")?.message, `Container image "${BUSYBOX}" already present on machine`);
    assert.is(by("Created")?.message, "Created container main");
    assert.is(by("Started")?.message, "Started container main");
    assert.is(by("Killing")?.message, "Stopping container main");
    for (const r of ["Pulled", "Created", "Started", "Killing"]) {
      assert.equal([by(r)!.source?.component, by(r)!.source?.host, by(r)!.involvedObject.fieldPath], ["kubelet", k.nodeName, "spec.containers{main}"], r);
    }
  }
});

test.run();
