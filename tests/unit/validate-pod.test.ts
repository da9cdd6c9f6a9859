import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { validatePod } from "../../kubelet/config/validatePod.ts";

function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "web", namespace: "default" }): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata, spec: { containers: [{ name: "app", image: "nginx:1.19" }], ...spec } } as Pod;
}
const messages = (p: Pod) => validatePod(p).map((e) => e.message);

test("a well-formed pod has no errors", () => {
  assert.equal(messages(pod({
    volumes: [{ name: "data", emptyDir: {} }],
    containers: [{
      name: "app", image: "nginx", ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
      volumeMounts: [{ name: "data", mountPath: "/data" }], resources: { limits: { cpu: "500m", memory: "64Mi" }, requests: { cpu: 0.25 } },
      livenessProbe: { httpGet: { port: "http", path: "/" }, periodSeconds: 10 }, env: [{ name: "MY_VAR", value: "x" }],
    }],
    initContainers: [{ name: "setup", image: "busybox" }],
    restartPolicy: "OnFailure", dnsPolicy: "ClusterFirst",
  })), []);
});

test("a missing image is Required, with the field path of the container", () => {
  assert.equal(messages(pod({ containers: [{ name: "a", image: "x" }, { name: "b" }] })), ["spec.containers[1].image: Required value"]);
});

test("no containers at all is Required", () => {
  assert.equal(messages(pod({ containers: [] })), ["spec.containers: Required value"]);
});

test("container names must be unique across init and app containers", () => {
  assert.equal(messages(pod({ containers: [{ name: "web", image: "a" }, { name: "web", image: "b" }] })), ['spec.containers[1].name: Duplicate value: "web"']);
  assert.equal(messages(pod({ initContainers: [{ name: "app", image: "a" }] })), ['spec.initContainers[0].name: Duplicate value: "app"']);
});

test("names are checked as DNS-1123 label (containers) and subdomain (pods) with upstream's explanation", () => {
  const [msg] = messages(pod({ containers: [{ name: "Web", image: "a" }] }));
  assert.is(msg, `spec.containers[0].name: Invalid value: "Web": a DNS-1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`);
  assert.match(messages(pod({}, { name: "My_Pod" }))[0]!, /^metadata\.name: Invalid value: "My_Pod": a DNS-1123 subdomain must consist of/);
  assert.equal(messages(pod({}, {})), ["metadata.name: Required value: name or generateName is required"]);
  assert.match(messages(pod({}, { name: "ok", namespace: "kube.system" }))[0]!, /^metadata\.namespace: Invalid value: "kube.system": a DNS-1123 label/);
});

test("ports must be 1-65535 and protocols TCP, UDP or SCTP", () => {
  assert.equal(messages(pod({ containers: [{ name: "a", image: "x", ports: [{ containerPort: 70000 }, { containerPort: 0 }, { containerPort: 53, protocol: "ICMP" }] }] })), [
    "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
    "spec.containers[0].ports[1].containerPort: Required value",
    'spec.containers[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
  ]);
});

test("restartPolicy, dnsPolicy and imagePullPolicy are limited to their enums", () => {
  assert.equal(messages(pod({ restartPolicy: "Sometimes", dnsPolicy: "Google", containers: [{ name: "a", image: "x", imagePullPolicy: "Maybe" }] })), [
    'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
  ]);
  assert.equal(messages(pod({ dnsPolicy: "None" })), ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]);
});

test("resource quantities must follow the quantity grammar and be non-negative", () => {
  assert.equal(messages(pod({ containers: [{ name: "a", image: "x", resources: { limits: { cpu: "1 core", memory: "-1Gi" }, requests: { cpus: "1" } } }] })), [
    `spec.containers[0].resources.limits[cpu]: Invalid value: "1 core": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    'spec.containers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
    'spec.containers[0].resources.requests[cpus]: Invalid value: "cpus": must be a standard resource for containers',
  ]);
  for (const ok of ["1", "0.5", "100m", "64Mi", "1e3", "2E-2", "1.5Gi", "1Ki", ".5", 2, "nvidia.com/gpu"]) {
    const name = ok === "nvidia.com/gpu" ? ok : "cpu";
    assert.equal(messages(pod({ containers: [{ name: "a", image: "x", resources: { limits: { [name]: ok === name ? "1" : ok } } }] })), [], String(ok));
  }
});

test("volume names are unique and mounts must name an existing volume", () => {
  assert.equal(messages(pod({
    volumes: [{ name: "data", emptyDir: {} }, { name: "data", hostPath: { path: "/x" } }, { name: "two", emptyDir: {}, hostPath: { path: "/y" } }],
    containers: [{ name: "a", image: "x", volumeMounts: [{ name: "cache", mountPath: "/c" }, { name: "data", mountPath: "/d" }, { name: "data", mountPath: "/d" }] }],
  })), [
    'spec.volumes[1].name: Duplicate value: "data"',
    "spec.volumes[2].emptyDir: Forbidden: may not specify more than 1 volume type",
    'spec.containers[0].volumeMounts[0].name: Not found: "cache"',
    'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/d": must be unique',
  ]);
});

test("probes need exactly one handler", () => {
  assert.equal(messages(pod({ containers: [{ name: "a", image: "x",
    livenessProbe: { periodSeconds: 5 },
    readinessProbe: { exec: { command: ["true"] }, tcpSocket: { port: 80 } },
  }] })), [
    "spec.containers[0].livenessProbe: Required value: must specify a handler type",
    "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
  ]);
  assert.equal(messages(pod({ containers: [{ name: "a", image: "x", startupProbe: { httpGet: { port: 0 }, successThreshold: 2 } }] })), [
    "spec.containers[0].startupProbe.httpGet.port: Required value",
    "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1",
  ]);
});

test("hand-written structural mistakes are reported instead of crashing", () => {
  assert.equal(messages(pod({ containers: { name: "a" } })), ['spec.containers: Invalid value: {"name":"a"}: must be a list']);
  assert.equal(messages({ metadata: { name: "x" } } as unknown as Pod), ["spec: Required value"]);
  assert.equal(messages(pod({ containers: [{ name: "a", image: "x", ports: "80" }] })), ['spec.containers[0].ports: Invalid value: "80": must be a list']);
});

test("hostNetwork pods must use the container port as the host port", () => {
  assert.equal(messages(pod({ hostNetwork: true, containers: [{ name: "a", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }] })),
    ["spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"]);
});

test.run();
