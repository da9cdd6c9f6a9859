import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { makeContainerEnv } from "../../kubelet/envvars/containerEnv.ts";
import { containerLogPath, expandCommandAndArgs, makeContainerConfig, type ContainerConfigOptions } from "../../kubelet/kuberuntime/containerConfig.ts";
import { hashContainer } from "../../kubelet/kuberuntime/containerHash.ts";

const app: Container = {
  name: "app",
  image: "nginx:1.19",
  command: ["/bin/sh", "-c"],
  args: ["echo $(GREETING) $(MISSING) $$(GREETING)"],
  workingDir: "/srv",
  env: [{ name: "GREETING", value: "hi" }],
  stdin: true,
  tty: true,
};
const pod: Pod = { metadata: { name: "web", namespace: "prod", uid: "u-1" }, spec: { containers: [app], terminationGracePeriodSeconds: 30 } };
const base = (over: Partial<ContainerConfigOptions> = {}): ContainerConfigOptions => ({
  restartCount: 2,
  env: makeContainerEnv(pod, app, {}),
  imageRef: "sha256:abc",
  imageUser: { uid: 101 },
  mounts: [{ hostPath: "/var/lib/kubelet/pods/u-1/volumes/x", containerPath: "/data", readonly: true }],
  terminationMessageHostPath: "/var/lib/kubelet/pods/u-1/containers/app/0a1b",
  resources: { cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitInBytes: 134217728, oomScoreAdj: 999 },
  ...over,
});
function ok(r: ReturnType<typeof makeContainerConfig>) {
  if ("error" in r) throw new Error(r.error.message);
  return r.config;
}

test("metadata attempt, log path and restart annotation follow the restart count", () => {
  const c = ok(makeContainerConfig(pod, app, base()));
  assert.equal(c.metadata, { name: "app", attempt: 2 });
  assert.is(c.logPath, "app/2.log");
  assert.is(containerLogPath("side", 0), "side/0.log");
  assert.is(c.annotations!["io.kubernetes.container.restartCount"], "2");
  assert.is(c.annotations!["io.kubernetes.container.hash"], hashContainer(app));
  assert.is(c.labels!["io.kubernetes.container.name"], "app");
});

test("the image is the runtime's resolved reference, else the spec's image", () => {
  assert.equal(ok(makeContainerConfig(pod, app, base())).image, { image: "sha256:abc" });
  assert.equal(ok(makeContainerConfig(pod, app, base({ imageRef: undefined }))).image, { image: "nginx:1.19" });
});

test("command and args expand $(VAR) against the final environment", () => {
  const c = ok(makeContainerConfig(pod, app, base()));
  assert.equal(c.command, ["/bin/sh", "-c"]);
  assert.equal(c.args, ["echo hi $(MISSING) $(GREETING)"]);
  assert.equal(c.envs, [{ key: "GREETING", value: "hi" }]);
});

test("a later duplicate variable wins in command expansion", () => {
  const r = expandCommandAndArgs({ name: "c", command: ["$(A)"] }, [{ key: "A", value: "1" }, { key: "A", value: "2" }]);
  assert.equal(r.command, ["2"]);
  assert.equal(r.args, []);
});

test("working dir and stdin/stdinOnce/tty are copied from the spec", () => {
  const c = ok(makeContainerConfig(pod, app, base()));
  assert.equal([c.workingDir, c.stdin, c.stdinOnce, c.tty], ["/srv", true, false, true]);
});

test("mounts are passed through and the termination message file is mounted at its path", () => {
  const c = ok(makeContainerConfig(pod, app, base({ selinuxEnabled: true })));
  assert.equal(c.mounts, [
    { hostPath: "/var/lib/kubelet/pods/u-1/volumes/x", containerPath: "/data", readonly: true },
    { hostPath: "/var/lib/kubelet/pods/u-1/containers/app/0a1b", containerPath: "/dev/termination-log", selinuxRelabel: true },
  ]);
  const custom = { ...app, terminationMessagePath: "/tmp/msg" };
  assert.is(ok(makeContainerConfig(pod, custom, base())).mounts!.at(-1)!.containerPath, "/tmp/msg");
  assert.is(ok(makeContainerConfig(pod, app, base({ terminationMessageHostPath: undefined }))).mounts!.length, 1);
});

test("cgroup resources are passed through; no memory limit when it is 0", () => {
  const c = ok(makeContainerConfig(pod, app, base()));
  assert.equal(c.linux!.resources, { cpuShares: 256, oomScoreAdj: 999, memoryLimitInBytes: 134217728, cpuQuota: 50000, cpuPeriod: 100000 });
  const unlimited = ok(makeContainerConfig(pod, app, base({ resources: { cpuShares: 2, memoryLimitInBytes: 0, oomScoreAdj: 1000 } })));
  assert.equal(unlimited.linux!.resources, { cpuShares: 2, oomScoreAdj: 1000 });
});

test("the security context runs the container as the image's user when the spec sets none", () => {
  const c = ok(makeContainerConfig(pod, app, base()));
  assert.equal(c.linux!.securityContext!.runAsUser, { value: 101 });
  assert.equal(c.linux!.securityContext!.namespaceOptions, { network: "POD", pid: "CONTAINER", ipc: "POD" });
});

test("an env error refuses the container with CreateContainerConfigError and the first message", () => {
  const c: Container = { ...app, env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }] };
  const r = makeContainerConfig(pod, c, base({ env: makeContainerEnv(pod, c, {}) }));
  assert.equal(r, { error: { reason: "CreateContainerConfigError", message: 'configmap "cfg" not found' } });
});

test("runAsNonRoot with a root image refuses the container with CreateContainerConfigError", () => {
  const c: Container = { ...app, securityContext: { runAsNonRoot: true } };
  const r = makeContainerConfig(pod, c, base({ imageUser: { uid: 0 } }));
  assert.equal(r, { error: { reason: "CreateContainerConfigError", message: 'container has runAsNonRoot and image will run as root (pod: "web_prod(u-1)", container: app)' } });
  assert.ok("config" in makeContainerConfig(pod, c, base({ imageUser: { uid: 1000 } })));
});

test("extra annotations are kept but cannot override the kubelet's own", () => {
  const c = ok(makeContainerConfig(pod, app, base({ annotations: { "vendor/dev": "gpu0", "io.kubernetes.container.restartCount": "99" } })));
  assert.is(c.annotations!["vendor/dev"], "gpu0");
  assert.is(c.annotations!["io.kubernetes.container.restartCount"], "2");
});

test.run();
