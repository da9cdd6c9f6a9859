/**
 * kubelet-ts in cluster mode, the node side, against kube-apiserver 1.20.2 and the node lifecycle
 * controller: registration with capacity/allocatable/nodeInfo, Lease renewal, NotReady (Unknown)
 * when the kubelet is gone and Ready again when it returns, and restarts (SIGTERM, SIGKILL) that
 * restart no container.
 */
import { cpus, totalmem } from "node:os";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { machineCapacity } from "../../hosts/node/nodeFacts.ts";
import { eventually } from "../integration/support/eventually.ts";
import { assertHealthyConditions, assertHostNodeInfo } from "./support/nodeChecks.ts";
import { createNamespace, deleteNamespace, eventsAbout, getLease, getNode, getPod, mustRequest, readyCondition, waitNodeReady, waitPod } from "./support/apiObjects.ts";
import { kubectl } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, READY_FILE_PROBE, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

function binarySI(bytes: number): string {
  let n = bytes, i = 0;
  const s = ["", "Ki", "Mi", "Gi", "Ti"];
  while (n % 1024 === 0 && n !== 0 && i < 4) { n /= 1024; i++; }
  return `${n}${s[i]}`;
}

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-node" });
  ns = await createNamespace("node");
  await k.start();
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

test("the node registers Ready with capacity, allocatable, nodeInfo, conditions, labels, taints, addresses and its kubelet port", async () => {
  const node = await waitNodeReady(k.nodeName, "True", 30_000, () => k.output());
  const st = node.status!;
  const cap = await machineCapacity(k.rootDir);
  assert.is(st.capacity!.cpu, String(cpus().length));
  assert.is(st.capacity!.memory, binarySI(totalmem()));
  assert.is(st.capacity!.pods, "110");
  assert.is(st.capacity!["ephemeral-storage"], binarySI(cap.ephemeralBytes));
  assert.is(st.allocatable!.cpu, String(cpus().length));
  assert.is(st.allocatable!.memory, binarySI(totalmem() - 100 * 1024 * 1024), "evictionHard memory.available 100Mi held back");
  assert.is(st.allocatable!.pods, "110");
  // upstream multiplies by the percentage as a float32
  assert.is(st.allocatable!["ephemeral-storage"], binarySI(cap.ephemeralBytes - Math.trunc(cap.ephemeralBytes * Math.fround(0.1))), "nodefs.available 10% held back");

  assertHostNodeInfo(st.nodeInfo!);

  assertHealthyConditions(st.conditions!);
  assert.equal(st.daemonEndpoints, { kubeletEndpoint: { Port: k.port } });
  assert.equal(st.addresses!.map((a) => a.type), ["InternalIP", "Hostname"]);
  assert.is(st.addresses![1]!.address, k.nodeName);
  const labels = node.metadata.labels!;
  assert.is(labels["kubernetes.io/hostname"], k.nodeName);
  assert.is(labels["kubernetes.io/os"], "linux");
  assert.is(labels["kubernetes.io/arch"], "amd64");
  assert.ok(node.spec!.taints!.some((t) => t.key === "kts-e2e" && t.value === k.nodeName && t.effect === "NoSchedule"), JSON.stringify(node.spec!.taints));

  // kubectl shows it as any other node.
  const row = (await kubectl(["get", "node", k.nodeName, "--no-headers"])).trim().split(/\s+/);
  assert.equal([row[0], row[1], row.at(-1)], [k.nodeName, "Ready", "v1.20.2"]);
  const reasons = await eventually("node events Starting and the condition events", async () => {
    const r = (await eventsAbout("default", "Node", k.nodeName)).map((e) => e.reason);
    return ["Starting", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"].every((x) => r.includes(x)) ? r : undefined;
  }, { timeoutMs: 15_000, intervalMs: 500 });
  const starting = (await eventsAbout("default", "Node", k.nodeName)).find((e) => e.reason === "Starting")!;
  assert.is(starting.message, "Starting kubelet.");
  assert.is(starting.source?.component, "kubelet");
  assert.is(starting.source?.host, k.nodeName);
  assert.ok(reasons.length > 0);
});

test("the Lease is held by the node and renewed every 10 s", async () => {
  const node = (await getNode(k.nodeName))!;
  const lease = await eventually("lease", () => getLease(k.nodeName), { timeoutMs: 20_000 });
  assert.is(lease.spec!.holderIdentity, k.nodeName);
  assert.is(lease.spec!.leaseDurationSeconds, 40);
  assert.equal(lease.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: k.nodeName, uid: node.metadata.uid! }]);
  const first = lease.spec!.renewTime!;
  const renewed = await eventually("renewTime to advance", async () => {
    const l = await getLease(k.nodeName);
    return l && l.spec!.renewTime! > first ? l : undefined;
  }, { timeoutMs: 25_000, intervalMs: 500 });
  const gap = Date.parse(renewed.spec!.renewTime!) - Date.parse(first);
  assert.ok(gap >= 9_000 && gap <= 13_000, `renewed ${gap} ms later`);
});

/** Runs a pod that stays Running and Ready; resolves to its container id. */
async function runSleeper(name: string): Promise<{ uid: string; containerID: string }> {
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, name, k.placement(), [shContainer("main", TRAPPING_SLEEPER, { readinessProbe: READY_FILE_PROBE })], { automountServiceAccountToken: false }));
  const pod = await waitPod(ns, name, "Running and Ready", (p) => p.status?.phase === "Running" && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True", 60_000, () => k.output());
  return { uid: pod.metadata.uid!, containerID: pod.status!.containerStatuses![0]!.containerID! };
}

test("SIGTERM and restart: the running container is adopted, not restarted, a completed pod stays Succeeded, and the node stays Ready", async () => {
  const before = await runSleeper("sigterm");
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "done", k.placement(), [shContainer("main", "exit 0")], { automountServiceAccountToken: false, restartPolicy: "Never" }));
  await waitPod(ns, "done", "Succeeded", (p) => p.status?.phase === "Succeeded", 30_000, () => k.output());
  const ids = (await k.containers()).map((c) => c.id).sort();
  await k.stop("SIGTERM");
  await k.start();
  await waitNodeReady(k.nodeName, "True", 30_000, () => k.output());
  // The restarted kubelet has synced the pod (it writes a status again); nothing new in the runtime.
  await eventually("the pod synced by the restarted kubelet", async () => (k.stdout.split("\n").some((l) => l.includes(`${ns}/sigterm`) && l.includes("Running")) && k.log.split("--- start #").length === 3 ? true : undefined), { timeoutMs: 20_000, describe: () => k.stdout.slice(-1500) });
  assert.equal((await k.containers()).map((c) => c.id).sort(), ids, "no container created or removed");
  const pod = await waitPod(ns, "sigterm", "Ready", (p) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True");
  assert.is(pod.status!.containerStatuses![0]!.containerID, before.containerID);
  assert.is(pod.status!.containerStatuses![0]!.restartCount, 0);
  const done = (await getPod(ns, "done"))!;
  assert.is(done.status!.phase, "Succeeded");
  assert.is(done.status!.containerStatuses![0]!.state.terminated?.exitCode, 0);
});

test("SIGKILL: the node lifecycle controller marks the node Unknown; the restarted kubelet makes it Ready again (NodeReady) and restarts no container", async () => {
  const before = await runSleeper("sigkill");
  const ids = (await k.containers()).map((c) => c.id).sort();
  const runningBefore = (await k.containers()).filter((c) => c.state === "CONTAINER_RUNNING").map((c) => c.id).sort();
  await k.stop("SIGKILL");
  const down = await waitNodeReady(k.nodeName, "Unknown", 60_000);
  assert.is(readyCondition(down)!.reason, "NodeStatusUnknown");
  assert.is(readyCondition(down)!.message, "Kubelet stopped posting node status.");
  // The lifecycle controller marks the node's pods not ready.
  await waitPod(ns, "sigkill", "Ready=False from the node lifecycle controller", (p) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "False", 30_000);
  const stillRunning = (await k.containers()).filter((c) => c.state === "CONTAINER_RUNNING").map((c) => c.id).sort();
  assert.equal(stillRunning, runningBefore, "the running containers keep running without the kubelet");

  await k.start();
  const up = await waitNodeReady(k.nodeName, "True", 30_000, () => k.output());
  assert.is(readyCondition(up)!.reason, "KubeletReady");
  await eventually("a NodeReady event", async () => ((await eventsAbout("default", "Node", k.nodeName)).some((e) => e.reason === "NodeReady" && e.message === `Node ${k.nodeName} status is now: NodeReady`) ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
  const pod = await waitPod(ns, "sigkill", "Ready again", (p) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True", 30_000, () => k.output());
  assert.is(pod.status!.containerStatuses![0]!.containerID, before.containerID, "same container");
  assert.is(pod.status!.containerStatuses![0]!.restartCount, 0);
  assert.equal((await k.containers()).map((c) => c.id).sort(), ids, "no container created or removed");
});

test.run();
