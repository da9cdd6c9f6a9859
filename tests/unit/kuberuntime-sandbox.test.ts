import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod, PodSpec } from "../../bindings/kube/types.ts";
import { containerPortMappings, makeSandboxConfig, podHostnameAndDomain, podLogsDirectory, type SandboxConfigOptions } from "../../kubelet/kuberuntime/sandboxConfig.ts";

function pod(spec: Partial<PodSpec> = {}, name = "web"): Pod {
  return {
    metadata: { name, namespace: "prod", uid: "u-1", labels: { app: "web" }, annotations: { a: "1" } },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  };
}
const opts: SandboxConfigOptions = {
  attempt: 2,
  dns: { clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", hostResolvConf: "nameserver 10.0.0.2\nsearch corp.example\n" },
  cgroupParent: "/kubepods/besteffort/podu-1",
  nodeHostname: "node-1",
};
function ok(r: ReturnType<typeof makeSandboxConfig>) {
  if ("error" in r) throw new Error(r.error.message);
  return r;
}

test("sandbox metadata, labels, annotations, log directory and cgroup parent come from the pod", () => {
  const { config } = ok(makeSandboxConfig(pod(), opts));
  assert.equal(config.metadata, { name: "web", namespace: "prod", uid: "u-1", attempt: 2 });
  assert.is(config.labels!["io.kubernetes.pod.uid"], "u-1");
  assert.is(config.labels!["io.kubelet-ts.managed"], "true");
  assert.is(config.labels!.app, "web");
  assert.equal(config.annotations, { a: "1" });
  assert.is(config.logDirectory, "/var/log/pods/prod_web_u-1");
  assert.is(config.linux!.cgroupParent, "/kubepods/besteffort/podu-1");
});

test("the log directory root is configurable", () => {
  assert.is(podLogsDirectory(pod(), "/data/logs/"), "/data/logs/prod_web_u-1");
});

test("the hostname is spec.hostname, else the pod name", () => {
  assert.is(ok(makeSandboxConfig(pod(), opts)).config.hostname, "web");
  assert.is(ok(makeSandboxConfig(pod({ hostname: "db-0" }), opts)).config.hostname, "db-0");
});

test("a pod name over 63 characters is cut to 63 without a trailing '-' or '.'", () => {
  const name = "a".repeat(61) + "-.b-c";
  assert.is(ok(makeSandboxConfig(pod({}, name), opts)).config.hostname, "a".repeat(61));
});

test("an invalid spec.hostname fails the sandbox with upstream's message", () => {
  const r = makeSandboxConfig(pod({ hostname: "Bad_Name" }), opts);
  assert.ok("error" in r);
  if ("error" in r) {
    assert.is(r.error.reason, "CreatePodSandboxError");
    assert.match(r.error.message, /^GeneratePodSandboxConfig for pod "web_prod\(u-1\)" failed: pod Hostname "Bad_Name" is not a valid DNS label/);
  }
});

test("the pod domain comes from spec.subdomain", () => {
  assert.equal(podHostnameAndDomain(pod({ hostname: "db-0", subdomain: "db" }), "cluster.local"), { hostname: "db-0", hostDomain: "db.prod.svc.cluster.local" });
});

test("a host-network pod gets no hostname (the runtime uses the node's) and host DNS under ClusterFirst", () => {
  const { config } = ok(makeSandboxConfig(pod({ hostNetwork: true }), opts));
  assert.is(config.hostname, undefined);
  assert.equal(config.dnsConfig, { servers: ["10.0.0.2"], searches: ["corp.example"], options: [] });
  assert.equal(config.linux!.securityContext!.namespaceOptions, { network: "NODE", pid: "CONTAINER", ipc: "POD" });
});

test("a pod-network pod gets cluster DNS", () => {
  const { config } = ok(makeSandboxConfig(pod(), opts));
  assert.equal(config.dnsConfig!.servers, ["10.96.0.10"]);
  assert.equal(config.dnsConfig!.options, ["ndots:5"]);
});

test("DNS warnings are returned for the caller to record as events", () => {
  const r = ok(makeSandboxConfig(pod(), { ...opts, dns: { ...opts.dns, clusterDNS: [] } }));
  assert.equal(r.warnings.map((w) => w.reason), ["MissingClusterDNS"]);
});

test("port mappings list app containers' ports with protocol, host port and host IP", () => {
  const p = pod({
    initContainers: [{ name: "init", ports: [{ containerPort: 1 }] }],
    containers: [
      { name: "a", ports: [{ name: "http", containerPort: 80, hostPort: 8080, hostIP: "10.0.0.1" }, { containerPort: 53, protocol: "UDP" }] },
      { name: "b", ports: [{ containerPort: 9090, hostPort: 9090, protocol: "SCTP" }] },
    ],
  });
  assert.equal(ok(makeSandboxConfig(p, opts)).config.portMappings, [
    { protocol: "TCP", containerPort: 80, hostPort: 8080, hostIp: "10.0.0.1" },
    { protocol: "UDP", containerPort: 53, hostPort: 0, hostIp: "" },
    { protocol: "SCTP", containerPort: 9090, hostPort: 9090, hostIp: "" },
  ]);
  assert.is(ok(makeSandboxConfig(pod(), opts)).config.portMappings, undefined);
});

test("a port repeated under the same name in a container is mapped once", () => {
  const ports = containerPortMappings({ name: "a", ports: [{ name: "p", containerPort: 80 }, { name: "p", containerPort: 81 }, { containerPort: 82 }, { containerPort: 82 }] });
  assert.equal(ports.map((p) => p.containerPort), [80, 82]);
});

test("sysctls become a map and the sandbox security context is included", () => {
  const { config } = ok(makeSandboxConfig(pod({ securityContext: { sysctls: [{ name: "net.core.somaxconn", value: "1024" }], runAsUser: 1000 } }), opts));
  assert.equal(config.linux!.sysctls, { "net.core.somaxconn": "1024" });
  assert.equal(config.linux!.securityContext!.runAsUser, { value: 1000 });
  assert.equal(config.linux!.securityContext!.seccomp, { profileType: "Unconfined" });
});

test.run();
