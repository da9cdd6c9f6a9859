/**
 * The eviction manager against kube-apiserver 1.20.2 and containerd: a kubelet whose hard
 * memory.available threshold (1000Gi) can never be satisfied reports MemoryPressure, records
 * EvictionThresholdMet, refuses BestEffort pods at admission (Failed/Evicted, "The node had
 * condition: [MemoryPressure]."), admits a Burstable pod and then evicts it with upstream's
 * message; the node's other conditions stay as they were. (The threshold also takes all of the
 * node's allocatable memory, as upstream computes it, so test pods request cpu only.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, eventsAbout, getNode, mustRequest, waitPod } from "./support/apiObjects.ts";
import { ClusterKubelet, E2E_TAINT_KEY } from "./support/clusterKubelet.ts";
import { podObject, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-evict", configLines: ["evictionHard: {memory.available: 1000Gi}", "evictionPressureTransitionPeriod: 30s"] });
  ns = await createNamespace("evict");
  await k.start();
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

/** Bound to this node directly (the node lifecycle controller taints a node under pressure; the scheduler is not under test). */
const onNode = () => ({ nodeName: k.nodeName, tolerations: [{ key: E2E_TAINT_KEY, operator: "Exists" }] });
const condition = async (type: string) => (await getNode(k.nodeName))?.status?.conditions?.find((c) => c.type === type);

test("an unsatisfiable hard threshold: MemoryPressure True with upstream's reason, EvictionThresholdMet on the node", async () => {
  const c = await eventually("MemoryPressure True", async () => {
    const mp = await condition("MemoryPressure");
    return mp?.status === "True" ? mp : undefined;
  }, { timeoutMs: 40_000, intervalMs: 500, describe: () => k.output() });
  assert.is(c.reason, "KubeletHasInsufficientMemory");
  assert.is(c.message, "kubelet has insufficient memory available");
  assert.is((await condition("DiskPressure"))?.status, "False");
  assert.is((await condition("PIDPressure"))?.status, "False");
  const events = await eventually("EvictionThresholdMet event", async () => {
    const ev = (await eventsAbout("default", "Node", k.nodeName)).filter((e) => e.reason === "EvictionThresholdMet");
    return ev.length > 0 ? ev : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  assert.is(events[0]!.message, "Attempting to reclaim memory");
  assert.is(events[0]!.type, "Warning");
});

test("under MemoryPressure a BestEffort pod is refused at admission: Failed, reason Evicted", async () => {
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "besteffort", onNode(), [shContainer("main", TRAPPING_SLEEPER)], { automountServiceAccountToken: false }));
  const p = await waitPod(ns, "besteffort", "Failed", (x) => x.status?.phase === "Failed", 30_000, () => k.output());
  assert.is(p.status!.reason, "Evicted");
  assert.is(p.status!.message, "Pod The node had condition: [MemoryPressure]. ");
  assert.is(p.status!.containerStatuses, undefined, "nothing of it ran");
});

test("a Burstable pod is admitted, then evicted with upstream's message and an Evicted event", async () => {
  // A cpu request only: the threshold leaves no allocatable memory, so a memory request would not fit (OutOfmemory).
  const container = shContainer("main", TRAPPING_SLEEPER, { resources: { requests: { cpu: "10m" } } });
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "burstable", onNode(), [container], { automountServiceAccountToken: false, terminationGracePeriodSeconds: 30 }));
  const p = await waitPod(ns, "burstable", "Failed", (x) => x.status?.phase === "Failed", 60_000, () => k.output());
  assert.is(p.status!.reason, "Evicted");
  assert.match(p.status!.message!, /^The node was low on resource: memory\. Container main was using \d+(Ki|Mi)?, which exceeds its request of 0\. $/);
  const main = p.status!.containerStatuses!.find((c) => c.name === "main")!;
  assert.ok(main.state.terminated, `the container was stopped: ${JSON.stringify(main.state)}`);
  const evicted = await eventually("Evicted event", async () => {
    const ev = (await eventsAbout(ns, "Pod", "burstable")).filter((e) => e.reason === "Evicted");
    return ev.length > 0 ? ev : undefined;
  }, { timeoutMs: 20_000, intervalMs: 500 });
  assert.is(evicted[0]!.type, "Warning");
  assert.is(evicted[0]!.message, p.status!.message);
});

test.run();
