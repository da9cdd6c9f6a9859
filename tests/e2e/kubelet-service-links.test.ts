/**
 * kubelet-ts in cluster mode setting service link environment variables from the API server 1.20.2's
 * Services, as upstream: the `kubernetes` master service in every container, the pod namespace's
 * services unless `enableServiceLinks: false`, and services created after the kubelet started
 * (seen through its watch).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod, Service } from "../../bindings/kube/types.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, mustRequest, waitPod } from "./support/apiObjects.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;
let kubernetes: Service;
let front: Service;

/** A Service of `ns` with a cluster IP and the given ports (its selector matches no pod). */
function serviceObject(name: string, ports: Service["spec"]["ports"]): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { type: "ClusterIP", selector: { app: `${name}-none` }, ports } };
}

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-svc" });
  ns = await createNamespace("svclinks");
  // Created before the kubelet starts: it reaches the kubelet through the first list.
  front = await mustRequest<Service>("POST", `/api/v1/namespaces/${ns}/services`, serviceObject("web-front", [
    { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
    { name: "dns-udp", port: 53, targetPort: 5353, protocol: "UDP" },
  ]));
  kubernetes = await mustRequest<Service>("GET", "/api/v1/namespaces/default/services/kubernetes");
  await k.start();
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

/**
 * Runs a pod whose container prints its environment once and keeps running; resolves to the
 * variables it printed (read from its CRI log file).
 */
async function podEnv(name: string, extra: Partial<Pod["spec"]> = {}, container: Partial<Container> = {}): Promise<Record<string, string>> {
  const script = `echo ENV-BEGIN; env; echo ENV-END; ${TRAPPING_SLEEPER}`;
  const created = await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`,
    podObject(ns, name, k.placement(), [shContainer("main", script, container)], { automountServiceAccountToken: false, ...extra }));
  await waitPod(ns, name, "Running", (p) => p.status?.phase === "Running", 60_000, () => k.output());
  const file = join(k.podLogsDir, `${ns}_${name}_${created.metadata.uid}`, "main", "0.log");
  const lines = await eventually(`${name}'s environment in ${file}`, () => {
    // CRI log lines: "<time> <stream> <P|F> <text>".
    const text = readFileSync(file, "utf8").split("\n").map((l) => l.split(" ").slice(3).join(" "));
    const begin = text.indexOf("ENV-BEGIN");
    const end = text.indexOf("ENV-END");
    return begin >= 0 && end > begin ? text.slice(begin + 1, end) : undefined;
  }, { timeoutMs: 20_000, intervalMs: 200 });
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** The variables upstream sets for the `kubernetes` service (ClusterIP, one port named https). */
function kubernetesVars(): Record<string, string> {
  const ip = kubernetes.spec.clusterIP!;
  const port = kubernetes.spec.ports![0]!.port;
  return {
    KUBERNETES_SERVICE_HOST: ip,
    KUBERNETES_SERVICE_PORT: String(port),
    KUBERNETES_SERVICE_PORT_HTTPS: String(port),
    KUBERNETES_PORT: `tcp://${ip}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP`]: `tcp://${ip}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: "tcp",
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: String(port),
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: ip,
  };
}

const pick = (env: Record<string, string>, prefix: string) => Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith(prefix)));
const serviceHosts = (env: Record<string, string>) => Object.keys(env).filter((key) => key.endsWith("_SERVICE_HOST")).sort();

test("a container gets the variables of its namespace's Service (two named ports, TCP and UDP) and of kubernetes, as upstream", async () => {
  const ip = front.spec.clusterIP!;
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  const env = await podEnv("links", {}, { env: [{ name: "FRONT_URL", value: "http://$(WEB_FRONT_SERVICE_HOST):$(WEB_FRONT_SERVICE_PORT_HTTP)/" }] });
  assert.equal(pick(env, "WEB_FRONT_"), {
    WEB_FRONT_SERVICE_HOST: ip,
    WEB_FRONT_SERVICE_PORT: "80",
    WEB_FRONT_SERVICE_PORT_HTTP: "80",
    WEB_FRONT_SERVICE_PORT_DNS_UDP: "53",
    WEB_FRONT_PORT: `tcp://${ip}:80`,
    WEB_FRONT_PORT_80_TCP: `tcp://${ip}:80`,
    WEB_FRONT_PORT_80_TCP_PROTO: "tcp",
    WEB_FRONT_PORT_80_TCP_PORT: "80",
    WEB_FRONT_PORT_80_TCP_ADDR: ip,
    WEB_FRONT_PORT_53_UDP: `udp://${ip}:53`,
    WEB_FRONT_PORT_53_UDP_PROTO: "udp",
    WEB_FRONT_PORT_53_UDP_PORT: "53",
    WEB_FRONT_PORT_53_UDP_ADDR: ip,
  });
  assert.equal(pick(env, "KUBERNETES_"), kubernetesVars());
  // Services of other namespaces (other suites create some) are not seen.
  assert.equal(serviceHosts(env), ["KUBERNETES_SERVICE_HOST", "WEB_FRONT_SERVICE_HOST"]);
  assert.is(env.FRONT_URL, `http://${ip}:80/`, "$(VAR) expands against the service variables");
});

test("enableServiceLinks: false keeps the kubernetes variables and drops the namespace's services", async () => {
  const env = await podEnv("nolinks", { enableServiceLinks: false });
  assert.equal(pick(env, "KUBERNETES_"), kubernetesVars());
  assert.equal(pick(env, "WEB_FRONT_"), {});
  assert.equal(serviceHosts(env), ["KUBERNETES_SERVICE_HOST"]);
});

test("a Service created after the kubelet started reaches new containers through the watch", async () => {
  const late = await mustRequest<Service>("POST", `/api/v1/namespaces/${ns}/services`, serviceObject("late-svc", [{ name: "web", port: 8080, targetPort: 80 }]));
  const ip = late.spec.clusterIP!;
  const env = await podEnv("late");
  assert.is(env.LATE_SVC_SERVICE_HOST, ip);
  assert.is(env.LATE_SVC_SERVICE_PORT, "8080");
  assert.is(env.LATE_SVC_SERVICE_PORT_WEB, "8080");
  assert.is(env.LATE_SVC_PORT, `tcp://${ip}:8080`);
  assert.is(env.WEB_FRONT_SERVICE_HOST, front.spec.clusterIP);
  assert.ok(!k.log.includes("service list/watch failed"), "the node may list and watch services");
});

test.run();
