import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Image } from "../../bindings/cri/types.ts";
import type { Node } from "../../bindings/kube/node.ts";
import { initialNode, reconcileExistingNode } from "../../kubelet/nodestatus/nodeObject.ts";
import { formatBinarySI, formatCount, formatMilliCPU } from "../../kubelet/nodestatus/quantityFormat.ts";
import { RuntimeState } from "../../kubelet/nodestatus/runtimeState.ts";
import { formatRuntimeVersion } from "../../kubelet/nodestatus/runtimeVersion.ts";
import { formatTime, nodeImages, setNodeStatus, type NodeStatusInputs } from "../../kubelet/nodestatus/setters.ts";
import { jsonEqual, nodeStatusHasChanged, nodeStatusPatch } from "../../kubelet/nodestatus/statusPatch.ts";
import { applyStrategicMerge } from "./support/strategicMerge.ts";

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

function inputs(over: Partial<NodeStatusInputs> = {}): NodeStatusInputs {
  return {
    nodeName: "n1",
    facts: { hostname: "n1", internalIP: "192.168.1.10", machineID: "m-id", systemUUID: "s-uuid", bootID: "b-id", kernelVersion: "6.1.0-13-amd64", osImage: "Debian GNU/Linux 12 (bookworm)", operatingSystem: "linux", architecture: "amd64" },
    capacity: { cpuMilli: 2000, memoryBytes: 8344346624, ephemeralStorageBytes: 41152798720, pods: 110 },
    allocatable: { cpuMilli: 2000, memoryBytes: 8344346624 - 100 * 1024 * 1024, ephemeralStorageBytes: 37037518849, pods: 110 },
    containerRuntimeVersion: "containerd://1.6.20",
    kubeletVersion: "v1.20.2",
    kubeletPort: 10250,
    images: [],
    readyErrors: [],
    pressure: { memory: false, disk: false, pid: false },
    ...over,
  };
}

function recorder() {
  const events: string[] = [];
  return { events, record: (type: string, reason: string, message: string) => events.push(`${type} ${reason}: ${message}`) };
}

test("quantities are spelled as the API server's canonical Quantity strings", () => {
  assert.is(formatBinarySI(8344346624), "8148776Ki");
  assert.is(formatBinarySI(8344346624 - 100 * 1024 * 1024), "8046376Ki");
  assert.is(formatBinarySI(1536), "1536");
  assert.is(formatBinarySI(37037518849), "37037518849");
  assert.is(formatBinarySI(2 ** 30), "1Gi");
  assert.is(formatBinarySI(0), "0");
  assert.is(formatMilliCPU(2000), "2");
  assert.is(formatMilliCPU(1500), "1500m");
  assert.is(formatCount(110), "110");
  assert.is(formatCount(1000), "1k");
});

test("the initial node carries the default labels, --node-labels, taints and the attach/detach annotation", () => {
  const n = initialNode({ nodeName: "n1", hostname: "n1", operatingSystem: "linux", architecture: "amd64", nodeLabels: { "node-role.kubernetes.io/worker": "", tier: "x" }, registerWithTaints: [{ key: "k", value: "v", effect: "NoSchedule" }] });
  assert.equal(n.metadata.labels, {
    "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
    "node-role.kubernetes.io/worker": "", tier: "x",
  });
  assert.equal(n.spec!.taints, [{ key: "k", value: "v", effect: "NoSchedule" }]);
  assert.equal(n.metadata.annotations, { "volumes.kubernetes.io/controller-managed-attach-detach": "true" });
  const unsched = initialNode({ nodeName: "n", hostname: "n", operatingSystem: "linux", architecture: "amd64", registerSchedulable: false });
  assert.equal(unsched.spec, { unschedulable: true, taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }] });
});

test("a new node gets addresses, capacity/allocatable, nodeInfo, endpoints and the four conditions in upstream order", () => {
  const node: Node = { metadata: { name: "n1" } };
  const { events, record } = recorder();
  setNodeStatus(node, inputs(), T0, record);
  const st = node.status!;
  assert.equal(st.addresses, [{ type: "InternalIP", address: "192.168.1.10" }, { type: "Hostname", address: "n1" }]);
  assert.equal(st.capacity, { cpu: "2", "ephemeral-storage": "40188280Ki", memory: "8148776Ki", pods: "110" });
  assert.equal(st.allocatable, { cpu: "2", "ephemeral-storage": "37037518849", memory: "8046376Ki", pods: "110" });
  assert.equal(st.nodeInfo, {
    machineID: "m-id", systemUUID: "s-uuid", bootID: "b-id", kernelVersion: "6.1.0-13-amd64", osImage: "Debian GNU/Linux 12 (bookworm)",
    containerRuntimeVersion: "containerd://1.6.20", kubeletVersion: "v1.20.2", kubeProxyVersion: "v1.20.2", operatingSystem: "linux", architecture: "amd64",
  });
  assert.equal(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  const now = "2026-11-22T12:00:00Z";
  assert.equal(st.conditions, [
    { type: "MemoryPressure", status: "False", lastHeartbeatTime: now, reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available", lastTransitionTime: now },
    { type: "DiskPressure", status: "False", lastHeartbeatTime: now, reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure", lastTransitionTime: now },
    { type: "PIDPressure", status: "False", lastHeartbeatTime: now, reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available", lastTransitionTime: now },
    { type: "Ready", status: "True", lastHeartbeatTime: now, reason: "KubeletReady", message: "kubelet is posting ready status", lastTransitionTime: now },
  ]);
  assert.equal(events, [
    "Normal NodeHasSufficientMemory: Node n1 status is now: NodeHasSufficientMemory",
    "Normal NodeHasNoDiskPressure: Node n1 status is now: NodeHasNoDiskPressure",
    "Normal NodeHasSufficientPID: Node n1 status is now: NodeHasSufficientPID",
  ]);
});

test("Ready turns False with the joined reasons and back, moving lastTransitionTime only on a change", () => {
  const node: Node = { metadata: { name: "n1" } };
  const { events, record } = recorder();
  setNodeStatus(node, inputs(), T0, record);
  events.length = 0;
  setNodeStatus(node, inputs({ readyErrors: ["container runtime is down", "PLEG is not healthy: pleg was last seen active 3m0s ago; threshold is 3m0s"] }), T0 + 10_000, record);
  let ready = node.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.equal({ ...ready }, { type: "Ready", status: "False", lastHeartbeatTime: "2026-11-22T12:00:10Z", reason: "KubeletNotReady", message: "[container runtime is down, PLEG is not healthy: pleg was last seen active 3m0s ago; threshold is 3m0s]", lastTransitionTime: "2026-11-22T12:00:10Z" });
  setNodeStatus(node, inputs({ readyErrors: ["container runtime is down"] }), T0 + 20_000, record);
  ready = node.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.is(ready.lastTransitionTime, "2026-11-22T12:00:10Z");
  assert.is(ready.lastHeartbeatTime, "2026-11-22T12:00:20Z");
  setNodeStatus(node, inputs(), T0 + 30_000, record);
  ready = node.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.is(ready.status, "True");
  assert.is(ready.lastTransitionTime, "2026-11-22T12:00:30Z");
  assert.equal(events, ["Normal NodeNotReady: Node n1 status is now: NodeNotReady", "Normal NodeReady: Node n1 status is now: NodeReady"]);
  assert.is(node.status!.conditions!.find((c) => c.type === "MemoryPressure")!.lastTransitionTime, "2026-11-22T12:00:00Z");
});

test("memory pressure flips its condition and records NodeHasInsufficientMemory; a new boot ID records Rebooted", () => {
  const node: Node = { metadata: { name: "n1" } };
  const { events, record } = recorder();
  setNodeStatus(node, inputs(), T0, record);
  events.length = 0;
  setNodeStatus(node, inputs({ pressure: { memory: true, disk: false, pid: false }, facts: { ...inputs().facts, bootID: "b-2" } }), T0 + 1000, record);
  const mp = node.status!.conditions!.find((c) => c.type === "MemoryPressure")!;
  assert.is(mp.status, "True");
  assert.is(mp.reason, "KubeletHasInsufficientMemory");
  assert.equal(events, ["Warning Rebooted: Node n1 has been rebooted, boot id: b-2", "Normal NodeHasInsufficientMemory: Node n1 status is now: NodeHasInsufficientMemory"]);
});

test("Ready messages aggregate like upstream's utilerrors: one as is, several in brackets, duplicates once", async () => {
  const { aggregateMessage } = await import("../../kubelet/nodestatus/setters.ts");
  assert.is(aggregateMessage(["a"]), "a");
  assert.is(aggregateMessage(["a", "b", "a"]), "[a, b]");
  assert.is(aggregateMessage(["a", "a"]), "a");
});

test("the old OutOfDisk condition is dropped; a single readiness error is the message as is", () => {
  const node: Node = { metadata: { name: "n1" }, status: { capacity: {}, conditions: [{ type: "OutOfDisk", status: "False" }] } };
  setNodeStatus(node, inputs(), T0, () => {});
  assert.not.ok(node.status!.conditions!.some((c) => c.type === "OutOfDisk"));
  setNodeStatus(node, inputs({ readyErrors: ["container runtime status check may not have completed yet"] }), T0, () => {});
  assert.is(node.status!.conditions!.at(-1)!.message, "container runtime status check may not have completed yet");
  assert.is(node.status!.conditions!.at(-1)!.type, "Ready");
});

test("images: largest first, at most 50, at most 5 names (digests, then tags)", () => {
  const img = (i: number, size: number, tags = 1): Image => ({ id: `sha256:${i}`, repoTags: Array.from({ length: tags }, (_, t) => `r/i${i}:t${t}`), repoDigests: [`r/i${i}@sha256:${i}`], size, uid: null, username: "", spec: null, pinned: false });
  const list = [img(1, 10), img(2, 30, 7), ...Array.from({ length: 60 }, (_, i) => img(100 + i, 1))];
  const out = nodeImages(list);
  assert.is(out.length, 50);
  assert.equal(out[0], { names: ["r/i2@sha256:2", "r/i2:t0", "r/i2:t1", "r/i2:t2", "r/i2:t3"], sizeBytes: 30 });
  assert.equal(out[1], { names: ["r/i1@sha256:1", "r/i1:t0"], sizeBytes: 10 });
});

test("a status change ignores heartbeats; the patch turns the server's node into ours", () => {
  const original: Node = { metadata: { name: "n1", labels: { a: "1", gone: "x" } }, spec: { podCIDR: "10.0.0.0/24" }, status: { volumesAttached: [{ name: "v" }], addresses: [{ type: "InternalIP", address: "10.0.0.9" }], conditions: [{ type: "NetworkUnavailable", status: "False" }, { type: "Stale", status: "True" }] } };
  setNodeStatus(original, inputs(), T0, () => {});
  const same = structuredClone(original);
  setNodeStatus(same, inputs(), T0 + 10_000, () => {});
  assert.not.ok(nodeStatusHasChanged(original.status, same.status));
  assert.ok(nodeStatusPatch(original, same), "heartbeats still make a patch when one is due");
  assert.is(nodeStatusPatch(original, structuredClone(original)), undefined);

  const updated = structuredClone(original);
  updated.metadata.labels = { a: "2", b: "3" };
  updated.spec = { podCIDR: "changed" };
  updated.status!.conditions = updated.status!.conditions!.filter((c) => c.type !== "Stale");
  setNodeStatus(updated, inputs({ readyErrors: ["container runtime is down"], facts: { ...inputs().facts, internalIP: "192.168.1.99" }, allocatable: { ...inputs().allocatable, pods: 100 } }), T0 + 20_000, () => {});
  assert.ok(nodeStatusHasChanged(original.status, updated.status));
  const patch = nodeStatusPatch(original, updated)!;
  assert.not.ok("spec" in patch);
  const applied = applyStrategicMerge(original, patch) as Node;
  assert.ok(jsonEqual(applied.status, updated.status), JSON.stringify(patch));
  assert.equal(applied.metadata.labels, { a: "2", b: "3" });
  assert.equal((patch.status as Record<string, unknown>).addresses, [{ $patch: "replace" }, { type: "InternalIP", address: "192.168.1.99" }, { type: "Hostname", address: "n1" }]);
});

test("an existing node gets the default labels and attach/detach annotation back; extended resources are zeroed", () => {
  const wanted = initialNode({ nodeName: "n1", hostname: "n1", operatingSystem: "linux", architecture: "amd64" });
  const existing: Node = { metadata: { name: "n1", labels: { "kubernetes.io/hostname": "old", custom: "keep" } }, status: { capacity: { cpu: "2", "example.com/dongle": "4" }, allocatable: { "example.com/dongle": "4" } } };
  assert.ok(reconcileExistingNode(wanted, existing));
  assert.equal(existing.metadata.labels, { "kubernetes.io/hostname": "n1", custom: "keep", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64" });
  assert.equal(existing.metadata.annotations, { "volumes.kubernetes.io/controller-managed-attach-detach": "true" });
  assert.equal(existing.status!.capacity, { cpu: "2", "example.com/dongle": "0" });
  assert.not.ok(reconcileExistingNode(wanted, structuredClone({ ...existing, status: {} })));
});

test("runtime state: not yet checked, ready, network down, then down after 30 s without a good check", () => {
  const rs = new RuntimeState();
  assert.equal(rs.errors(T0), ["container runtime status check may not have completed yet"]);
  const ok = { status: { conditions: [{ type: "RuntimeReady", status: true, reason: "", message: "" }, { type: "NetworkReady", status: true, reason: "", message: "" }] }, info: {} };
  assert.is(rs.observe(ok, T0), undefined);
  assert.equal(rs.errors(T0 + 1000, [undefined]), []);
  const noNet = { status: { conditions: [ok.status.conditions[0]!, { type: "NetworkReady", status: false, reason: "NetworkPluginNotReady", message: "cni config uninitialized" }] }, info: {} };
  rs.observe(noNet, T0 + 2000);
  assert.equal(rs.errors(T0 + 2000), ["runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni config uninitialized"]);
  assert.match(rs.observe(new Error("connection refused"), T0 + 5000)!, /sanity check failed/);
  assert.equal(rs.errors(T0 + 2000 + 30_001, ["PLEG is not healthy: x"]), ["container runtime is down", "PLEG is not healthy: x", "runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni config uninitialized"]);
  const notReady = { status: { conditions: [{ type: "RuntimeReady", status: false, reason: "Broken", message: "oops" }, ok.status.conditions[1]!] }, info: {} };
  assert.is(rs.observe(notReady, T0 + 40_000), "Container runtime not ready: RuntimeReady=false reason:Broken message:oops");
  assert.equal(rs.errors(T0 + 40_000), ["container runtime is down", "Container runtime not ready: RuntimeReady=false reason:Broken message:oops"]);
  rs.observe(ok, T0 + 41_000);
  assert.equal(rs.errors(T0 + 41_000), []);
  assert.is(formatTime(T0 + 999), "2026-11-22T12:00:00Z");
});

test("runtime versions print as upstream's version package does", () => {
  assert.is(formatRuntimeVersion("1.6.20"), "1.6.20");
  assert.is(formatRuntimeVersion("1.6.20~ds1"), "1.6.20", "Debian's containerd: generic version, numeric part only");
  assert.is(formatRuntimeVersion("v1.7.0-rc.1+git.abc"), "1.7.0-rc.1+git.abc");
  assert.is(formatRuntimeVersion("20.10"), "20.10");
  assert.is(formatRuntimeVersion("1.4.0-0rc"), "1.4.0-0rc");
  assert.is(formatRuntimeVersion("1.4.01"), "1.4.1", "semver refuses the leading zero; generic reads it as a number");
  assert.is(formatRuntimeVersion("devel"), undefined);
  assert.is(formatRuntimeVersion("7"), undefined);
});

test.run();
