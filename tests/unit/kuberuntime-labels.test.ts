import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { hashContainer } from "../../kubelet/kuberuntime/containerHash.ts";
import {
  containerInfoFromAnnotations, containerInfoFromLabels, isManagedByKubeletTs, newContainerAnnotations, newContainerLabels,
  newPodAnnotations, newPodLabels, sandboxInfoFromLabels,
} from "../../kubelet/kuberuntime/labels.ts";

const container: Container = {
  name: "app",
  image: "nginx",
  ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
  lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } },
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
};
const pod: Pod = {
  metadata: { name: "web", namespace: "prod", uid: "u-1", labels: { app: "web" }, annotations: { "team": "a" }, deletionGracePeriodSeconds: 10 },
  spec: { containers: [container], terminationGracePeriodSeconds: 30 },
};

test("sandbox labels carry the pod's labels, its identity and the kubelet-ts marker", () => {
  assert.equal(newPodLabels(pod), {
    app: "web",
    "io.kubernetes.pod.name": "web",
    "io.kubernetes.pod.namespace": "prod",
    "io.kubernetes.pod.uid": "u-1",
    "io.kubelet-ts.managed": "true",
  });
  assert.equal(newPodAnnotations(pod), { team: "a" });
});

test("a pod label cannot spoof the identity labels", () => {
  const p: Pod = { ...pod, metadata: { ...pod.metadata, labels: { "io.kubernetes.pod.uid": "evil" } } };
  assert.is(newPodLabels(p)["io.kubernetes.pod.uid"], "u-1");
});

test("container labels carry the container name, pod identity and the marker", () => {
  assert.equal(newContainerLabels(container, pod), {
    "io.kubernetes.pod.name": "web",
    "io.kubernetes.pod.namespace": "prod",
    "io.kubernetes.pod.uid": "u-1",
    "io.kubernetes.container.name": "app",
    "io.kubelet-ts.managed": "true",
  });
});

test("container annotations record hash, restart count, termination settings, grace periods, preStop and ports", () => {
  const a = newContainerAnnotations(container, pod, 3, { "device.plugin/x": "1", "io.kubernetes.container.hash": "spoof" });
  assert.equal(a, {
    "device.plugin/x": "1",
    "io.kubernetes.container.hash": hashContainer(container),
    "io.kubernetes.container.restartCount": "3",
    "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
    "io.kubernetes.container.terminationMessagePolicy": "File",
    "io.kubernetes.pod.deletionGracePeriod": "10",
    "io.kubernetes.pod.terminationGracePeriod": "30",
    "io.kubernetes.container.preStopHandler": '{"exec":{"command":["sleep","5"]}}',
    "io.kubernetes.container.ports": '[{"name":"http","containerPort":80,"protocol":"TCP"}]',
  });
});

test("preStop, ports and grace period annotations are left out when the spec has none", () => {
  const a = newContainerAnnotations({ name: "c" }, { metadata: { name: "p" }, spec: { containers: [] } }, 0);
  assert.equal(Object.keys(a).sort(), [
    "io.kubernetes.container.hash", "io.kubernetes.container.restartCount",
    "io.kubernetes.container.terminationMessagePath", "io.kubernetes.container.terminationMessagePolicy",
  ]);
});

test("unset termination message settings are recorded with the API defaults", () => {
  const a = newContainerAnnotations({ name: "c" }, pod, 0);
  assert.is(a["io.kubernetes.container.terminationMessagePath"], "/dev/termination-log");
  assert.is(a["io.kubernetes.container.terminationMessagePolicy"], "File");
});

test("container annotations decode back to what was written", () => {
  const info = containerInfoFromAnnotations(newContainerAnnotations(container, pod, 7));
  assert.equal(info, {
    hash: hashContainer(container),
    restartCount: 7,
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    podDeletionGracePeriod: 10,
    podTerminationGracePeriod: 30,
    preStopHandler: { exec: { command: ["sleep", "5"] } },
    ports: container.ports!,
  });
});

test("missing or garbled container annotations decode to zero values", () => {
  assert.equal(containerInfoFromAnnotations(undefined), { hash: "", restartCount: 0, terminationMessagePath: "", terminationMessagePolicy: "", ports: [] });
  const info = containerInfoFromAnnotations({
    "io.kubernetes.container.hash": "not-hex",
    "io.kubernetes.container.restartCount": "three",
    "io.kubernetes.pod.terminationGracePeriod": "1.5",
    "io.kubernetes.container.preStopHandler": "{broken",
    "io.kubernetes.container.ports": '{"not":"a list"}',
  });
  assert.equal(info, { hash: "", restartCount: 0, terminationMessagePath: "", terminationMessagePolicy: "", ports: [] });
});

test("label decoders read identity back and strip it from the pod's own labels", () => {
  assert.equal(sandboxInfoFromLabels(newPodLabels(pod)), { podName: "web", podNamespace: "prod", podUID: "u-1", labels: { app: "web" } });
  assert.equal(containerInfoFromLabels(newContainerLabels(container, pod)), { containerName: "app", podName: "web", podNamespace: "prod", podUID: "u-1" });
  assert.equal(containerInfoFromLabels({}), { containerName: "", podName: "", podNamespace: "", podUID: "" });
});

test("only objects with the kubelet-ts marker are recognised as ours", () => {
  assert.ok(isManagedByKubeletTs(newPodLabels(pod)));
  assert.ok(isManagedByKubeletTs(newContainerLabels(container, pod)));
  // What an upstream kubelet puts on its sandboxes: identity labels but no marker.
  assert.not.ok(isManagedByKubeletTs({ "io.kubernetes.pod.uid": "u-1", "io.kubernetes.pod.name": "web" }));
  assert.not.ok(isManagedByKubeletTs({ "io.kubelet-ts.managed": "false" }));
  assert.not.ok(isManagedByKubeletTs(null));
});

test.run();
