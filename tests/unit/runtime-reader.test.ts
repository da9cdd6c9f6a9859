import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, PodSandbox } from "../../bindings/cri/types.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import { RuntimeReader } from "../../kubelet/kuberuntime/runtimeReader.ts";

const NODE = "node1";
const labels = (uid: string, node = NODE) => ({ "io.kubelet-ts.managed": node, "io.kubernetes.pod.uid": uid, "io.kubernetes.pod.name": `p-${uid}`, "io.kubernetes.pod.namespace": "default" });

/** A CRI fake holding sandboxes and containers; counts list calls and honours label selectors. */
function fakeCri(sandboxes: PodSandbox[], containers: Container[]) {
  const calls: string[] = [];
  const match = (l: Record<string, string>, sel?: Record<string, string>) => Object.entries(sel ?? {}).every(([k, v]) => l[k] === v);
  const cri = {
    async listPodSandbox(f?: { labelSelector?: Record<string, string> }) {
      calls.push(`listPodSandbox ${JSON.stringify(f?.labelSelector ?? {})}`);
      return sandboxes.filter((s) => match(s.labels, f?.labelSelector));
    },
    async listContainers(f?: { labelSelector?: Record<string, string> }) {
      calls.push(`listContainers ${JSON.stringify(f?.labelSelector ?? {})}`);
      return containers.filter((c) => match(c.labels, f?.labelSelector));
    },
    async podSandboxStatus(id: string) {
      calls.push(`podSandboxStatus ${id}`);
      return { status: { network: { ip: "10.0.0.1", additionalIps: [] }, linux: null }, info: {} };
    },
    async containerStatus(id: string) {
      calls.push(`containerStatus ${id}`);
      return { status: { state: "CONTAINER_RUNNING", startedAt: 2e15, finishedAt: 0, exitCode: 0, reason: "", message: "", imageRef: "sha256:x" }, info: {} };
    },
  };
  return { cri: cri as unknown as Cri, calls };
}

const sandbox = (uid: string, node = NODE): PodSandbox =>
  ({ id: `sb-${uid}`, metadata: { name: `p-${uid}`, uid, namespace: "default", attempt: 0 }, state: "SANDBOX_READY", createdAt: 1e15, labels: labels(uid, node), annotations: {}, runtimeHandler: "" });
const container = (uid: string, node = NODE): Container =>
  ({ id: `c-${uid}`, podSandboxId: `sb-${uid}`, metadata: { name: "main", attempt: 0 }, image: { image: "busybox" } as Container["image"], imageRef: "sha256:x", state: "CONTAINER_RUNNING", createdAt: 1e15, labels: { ...labels(uid, node), "io.kubernetes.container.name": "main" }, annotations: {} });

test("reads of several pods in the same turn share one pair of node-wide list calls", async () => {
  const { cri, calls } = fakeCri(["a", "b", "c"].map((u) => sandbox(u)), ["a", "b", "c"].map((u) => container(u)));
  const reader = new RuntimeReader(cri, NODE);
  const [a, b, missing] = await Promise.all([reader.readPod("a", "p-a", "default"), reader.readPod("b", "p-b", "default"), reader.readPod("z", "p-z", "default")]);
  assert.equal(calls.filter((c) => c.startsWith("list")).sort(), [
    `listContainers {"io.kubelet-ts.managed":"node1"}`, `listPodSandbox {"io.kubelet-ts.managed":"node1"}`,
  ]);
  assert.equal(a.containers.map((c) => c.id), ["c-a"]);
  assert.equal(b.sandboxes.map((s) => s.id), ["sb-b"]);
  assert.equal(missing, { uid: "z", name: "p-z", namespace: "default", sandboxes: [], containers: [] });
  assert.not.ok(calls.includes("containerStatus c-c"), "details are fetched only for the pods asked for");
});

test("a read alone lists by the pod's UID; a later read makes new list calls", async () => {
  const { cri, calls } = fakeCri([sandbox("a"), sandbox("x", "other-node")], [container("a")]);
  const reader = new RuntimeReader(cri, NODE);
  const first = await reader.readPod("a", "p-a", "default");
  const second = await reader.readPod("a", "p-a", "default");
  const lists = calls.filter((c) => c.startsWith("list"));
  assert.is(lists.length, 4);
  assert.ok(lists.every((c) => c.includes(`"io.kubernetes.pod.uid":"a"`)));
  assert.equal(first, second);
  assert.is(calls.filter((c) => c === "containerStatus c-a").length, 1, "a running container's details are cached while its state holds");
});

test("pods of another node are never read", async () => {
  const { cri } = fakeCri([sandbox("a"), sandbox("x", "other-node")], [container("a"), container("x", "other-node")]);
  const reader = new RuntimeReader(cri, NODE);
  const [x] = await Promise.all([reader.readPod("x", "p-x", "default"), reader.readPod("a", "p-a", "default")]);
  assert.equal(x!.containers, []);
  assert.equal((await reader.readAll()).map((p) => p.uid), ["a"]);
});

test.run();
