import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container as CriContainer, ContainerStatus, PodSandbox, PodSandboxStatus } from "../../bindings/cri/types.ts";
import type { Pod } from "../../bindings/kube/types.ts";
import { decodeContainerState, decodeRuntimeStatus } from "../../kubelet/kuberuntime/decodeRuntimeStatus.ts";
import { newContainerAnnotations, newContainerLabels, newPodLabels } from "../../kubelet/kuberuntime/labels.ts";

const pod: Pod = { metadata: { name: "web", namespace: "prod", uid: "u-1" }, spec: { containers: [{ name: "app", image: "nginx" }] } };
const S = 1_000_000_000; // one second in ns

function sandbox(id: string, createdSec: number, attempt: number, state: PodSandbox["state"] = "SANDBOX_READY", labels = newPodLabels(pod)): PodSandbox {
  return { id, metadata: { name: "web", uid: "u-1", namespace: "prod", attempt }, state, createdAt: createdSec * S, labels, annotations: {}, runtimeHandler: "" };
}
function sandboxStatus(id: string, ip: string, network: "POD" | "NODE" = "POD"): PodSandboxStatus {
  return {
    id, metadata: null, state: "SANDBOX_READY", createdAt: 0, labels: {}, annotations: {}, runtimeHandler: "",
    network: { ip, additionalIps: [{ ip: "fd00::5" }] },
    linux: { namespaces: { options: { network, pid: "CONTAINER", ipc: "POD", targetId: "", usernsOptions: null } } },
  };
}
function container(id: string, createdSec: number, restartCount: number, state: CriContainer["state"] = "CONTAINER_RUNNING", labels = newContainerLabels(pod.spec.containers[0]!, pod)): CriContainer {
  return {
    id, podSandboxId: "s2", metadata: { name: "app", attempt: restartCount }, image: { image: "nginx", annotations: {} }, imageRef: "sha256:abc",
    state, createdAt: createdSec * S, labels, annotations: newContainerAnnotations(pod.spec.containers[0]!, pod, restartCount),
  };
}
function exited(c: CriContainer, startedSec: number, finishedSec: number, exitCode: number, reason: string): ContainerStatus {
  return {
    id: c.id, metadata: c.metadata, state: "CONTAINER_EXITED", createdAt: c.createdAt, startedAt: startedSec * S, finishedAt: finishedSec * S,
    exitCode, image: { image: "docker.io/library/nginx:latest", annotations: {} }, imageRef: "sha256:def", reason, message: "bye",
    labels: c.labels, annotations: c.annotations, mounts: [], logPath: "", resources: null,
  };
}

test("sandboxes and containers are grouped by pod UID and sorted newest first", () => {
  const pods = decodeRuntimeStatus({
    sandboxes: [sandbox("s1", 100, 0, "SANDBOX_NOTREADY"), sandbox("s2", 200, 1)],
    containers: [container("c1", 110, 0, "CONTAINER_EXITED"), container("c2", 210, 1)],
  });
  assert.equal([...pods.keys()], ["u-1"]);
  const p = pods.get("u-1")!;
  assert.is(p.name, "web");
  assert.is(p.namespace, "prod");
  assert.equal(p.sandboxes.map((s) => [s.id, s.attempt, s.ready]), [["s2", 1, true], ["s1", 0, false]]);
  assert.equal(p.containers.map((c) => [c.id, c.restartCount, c.state]), [["c2", 1, "running"], ["c1", 0, "exited"]]);
});

test("CRI nanosecond timestamps become milliseconds", () => {
  const c = container("c1", 110, 0);
  const p = decodeRuntimeStatus({ sandboxes: [], containers: [c], containerStatuses: [exited(c, 111, 112.5, 1, "Error")] }).get("u-1")!;
  assert.is(p.containers[0]!.createdAt, 110_000);
  assert.is(p.containers[0]!.startedAt, 111_000);
  assert.is(p.containers[0]!.finishedAt, 112_500);
  assert.is(decodeRuntimeStatus({ sandboxes: [sandbox("s", 5, 0)], containers: [] }).get("u-1")!.sandboxes[0]!.createdAt, 5_000);
});

test("container status adds exit code, reason, message and the runtime's image names", () => {
  const c = container("c1", 110, 2, "CONTAINER_RUNNING");
  const rc = decodeRuntimeStatus({ sandboxes: [], containers: [c], containerStatuses: [exited(c, 111, 112, 137, "OOMKilled")] }).get("u-1")!.containers[0]!;
  assert.equal(
    { state: rc.state, exitCode: rc.exitCode, reason: rc.reason, message: rc.message, image: rc.image, imageRef: rc.imageRef, name: rc.name, hash: rc.hash, sandboxId: rc.sandboxId },
    { state: "exited", exitCode: 137, reason: "OOMKilled", message: "bye", image: "docker.io/library/nginx:latest", imageRef: "sha256:def", name: "app", hash: c.annotations["io.kubernetes.container.hash"]!, sandboxId: "s2" },
  );
});

test("without a container status the list item alone is decoded", () => {
  const rc = decodeRuntimeStatus({ sandboxes: [], containers: [container("c1", 110, 0)] }).get("u-1")!.containers[0]!;
  assert.equal([rc.state, rc.startedAt, rc.exitCode, rc.image, rc.imageRef], ["running", 0, 0, "nginx", "sha256:abc"]);
});

test("sandbox status supplies the pod IPs and whether it is on the host network", () => {
  const p = decodeRuntimeStatus({
    sandboxes: [sandbox("s1", 100, 0), sandbox("s2", 200, 1)],
    sandboxStatuses: [sandboxStatus("s2", "10.1.0.5"), null, sandboxStatus("s1", "", "NODE")],
    containers: [],
  }).get("u-1")!;
  assert.equal(p.sandboxes.map((s) => [s.id, s.ips, s.hostNetwork]), [["s2", ["10.1.0.5", "fd00::5"], false], ["s1", ["fd00::5"], true]]);
});

test("container states map to the lower-cased model, unknown values to unknown", () => {
  assert.equal(
    ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN", "bogus"].map(decodeContainerState),
    ["created", "running", "exited", "unknown", "unknown"],
  );
});

test("objects without the kubelet-ts marker (an upstream kubelet's pods) are ignored", () => {
  const upstreamLabels = { "io.kubernetes.pod.name": "other", "io.kubernetes.pod.namespace": "kube-system", "io.kubernetes.pod.uid": "u-9" };
  const pods = decodeRuntimeStatus({
    sandboxes: [sandbox("x", 1, 0, "SANDBOX_READY", upstreamLabels)],
    containers: [container("y", 1, 0, "CONTAINER_RUNNING", { ...upstreamLabels, "io.kubernetes.container.name": "c" })],
  });
  assert.is(pods.size, 0);
});

test("containers whose sandbox is gone still appear under their pod", () => {
  const p = decodeRuntimeStatus({ sandboxes: [], containers: [container("c1", 1, 0, "CONTAINER_EXITED")] }).get("u-1")!;
  assert.equal([p.name, p.namespace, p.sandboxes.length, p.containers.length], ["web", "prod", 0, 1]);
});

test.run();
