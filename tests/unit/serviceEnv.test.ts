/** Service link environment variables (upstream getServiceEnvVarMap + envvars.FromServices, v1.20). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod, Service, ServicePort } from "../../bindings/kube/types.ts";
import { makeContainerEnv } from "../../kubelet/envvars/containerEnv.ts";
import { fromServices, serviceEnvVarMap } from "../../kubelet/envvars/serviceEnv.ts";

function service(namespace: string, name: string, clusterIP: string, ports: ServicePort[]): Service {
  return { metadata: { name, namespace }, spec: { clusterIP, ports } };
}

const KUBERNETES = service("default", "kubernetes", "10.96.0.1", [{ name: "https", port: 443, protocol: "TCP" }]);
const KUBERNETES_VARS = {
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  KUBERNETES_SERVICE_PORT_HTTPS: "443",
  KUBERNETES_PORT: "tcp://10.96.0.1:443",
  KUBERNETES_PORT_443_TCP: "tcp://10.96.0.1:443",
  KUBERNETES_PORT_443_TCP_PROTO: "tcp",
  KUBERNETES_PORT_443_TCP_PORT: "443",
  KUBERNETES_PORT_443_TCP_ADDR: "10.96.0.1",
};
const FOO = service("app", "foo", "10.96.0.20", [{ port: 80 }]);
const FOO_VARS = {
  FOO_SERVICE_HOST: "10.96.0.20",
  FOO_SERVICE_PORT: "80",
  FOO_PORT: "tcp://10.96.0.20:80",
  FOO_PORT_80_TCP: "tcp://10.96.0.20:80",
  FOO_PORT_80_TCP_PROTO: "tcp",
  FOO_PORT_80_TCP_PORT: "80",
  FOO_PORT_80_TCP_ADDR: "10.96.0.20",
};

test("the master service (kubernetes in default) is always present, in any namespace", () => {
  assert.equal(serviceEnvVarMap([KUBERNETES], "app", true), KUBERNETES_VARS);
  assert.equal(serviceEnvVarMap([KUBERNETES], "elsewhere", true), KUBERNETES_VARS);
  assert.equal(serviceEnvVarMap([KUBERNETES], "default", true), KUBERNETES_VARS);
});

test("services of other namespaces are ignored, including non-master services in default", () => {
  const others = [KUBERNETES, FOO, service("default", "dash-board", "10.96.0.30", [{ port: 8080 }]), service("other", "bar", "10.96.0.40", [{ port: 81 }])];
  assert.equal(serviceEnvVarMap(others, "app", true), { ...KUBERNETES_VARS, ...FOO_VARS });
});

test("a pod in default sees every service of default, the master service among them", () => {
  const dash = service("default", "dash", "10.96.0.30", [{ port: 8080 }]);
  const env = serviceEnvVarMap([KUBERNETES, dash, FOO], "default", true);
  assert.is(env.KUBERNETES_SERVICE_HOST, "10.96.0.1");
  assert.is(env.DASH_SERVICE_HOST, "10.96.0.30");
  assert.is(env.FOO_SERVICE_HOST, undefined);
});

test("enableServiceLinks false: only the master services", () => {
  assert.equal(serviceEnvVarMap([KUBERNETES, FOO], "app", false), KUBERNETES_VARS);
  const dash = service("default", "dash", "10.96.0.30", [{ port: 8080 }]);
  assert.equal(serviceEnvVarMap([KUBERNETES, dash], "default", false), KUBERNETES_VARS);
});

test("enableServiceLinks unset counts as true (the API default)", () => {
  assert.equal(serviceEnvVarMap([KUBERNETES, FOO], "app", undefined), { ...KUBERNETES_VARS, ...FOO_VARS });
});

test("headless (clusterIP None) and ExternalName (no cluster IP) services are skipped, the master service too", () => {
  const headless = service("app", "headless", "None", [{ port: 80 }]);
  const external: Service = { metadata: { name: "ext", namespace: "app" }, spec: { type: "ExternalName", externalName: "example.com", ports: [{ port: 80 }] } };
  const masterHeadless = service("default", "kubernetes", "None", [{ port: 443 }]);
  assert.equal(serviceEnvVarMap([headless, external, masterHeadless, FOO], "app", true), FOO_VARS);
  assert.equal(fromServices([headless, external]), []);
});

test("named ports: <NAME>_SERVICE_PORT_<PORT NAME> for each, the first port also unnamed; '-' becomes '_' and names are upper-cased", () => {
  const svc = service("app", "my-web", "10.96.0.50", [{ name: "http-alt", port: 8080 }, { name: "metrics", port: 9090, protocol: "TCP" }]);
  assert.equal(fromServices([svc]), [
    { name: "MY_WEB_SERVICE_HOST", value: "10.96.0.50" },
    { name: "MY_WEB_SERVICE_PORT", value: "8080" },
    { name: "MY_WEB_SERVICE_PORT_HTTP_ALT", value: "8080" },
    { name: "MY_WEB_SERVICE_PORT_METRICS", value: "9090" },
    { name: "MY_WEB_PORT", value: "tcp://10.96.0.50:8080" },
    { name: "MY_WEB_PORT_8080_TCP", value: "tcp://10.96.0.50:8080" },
    { name: "MY_WEB_PORT_8080_TCP_PROTO", value: "tcp" },
    { name: "MY_WEB_PORT_8080_TCP_PORT", value: "8080" },
    { name: "MY_WEB_PORT_8080_TCP_ADDR", value: "10.96.0.50" },
    { name: "MY_WEB_PORT_9090_TCP", value: "tcp://10.96.0.50:9090" },
    { name: "MY_WEB_PORT_9090_TCP_PROTO", value: "tcp" },
    { name: "MY_WEB_PORT_9090_TCP_PORT", value: "9090" },
    { name: "MY_WEB_PORT_9090_TCP_ADDR", value: "10.96.0.50" },
  ]);
});

test("a UDP port: lower-case protocol in URLs and _PROTO, upper-case in the variable names", () => {
  const dns = service("app", "dns", "10.96.0.10", [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }]);
  const env = serviceEnvVarMap([dns], "app", true);
  assert.is(env.DNS_PORT, "udp://10.96.0.10:53");
  assert.is(env.DNS_PORT_53_UDP, "udp://10.96.0.10:53");
  assert.is(env.DNS_PORT_53_UDP_PROTO, "udp");
  assert.is(env.DNS_PORT_53_UDP_PORT, "53");
  assert.is(env.DNS_PORT_53_UDP_ADDR, "10.96.0.10");
  assert.is(env.DNS_PORT_53_TCP, "tcp://10.96.0.10:53");
  assert.is(env.DNS_SERVICE_PORT_DNS_TCP, "53");
});

test("an IPv6 cluster IP is bracketed in URLs (net.JoinHostPort), bare in _HOST and _ADDR", () => {
  const v6 = service("app", "v6", "fd00:10:96::1", [{ port: 443 }]);
  const env = serviceEnvVarMap([v6], "app", true);
  assert.is(env.V6_SERVICE_HOST, "fd00:10:96::1");
  assert.is(env.V6_PORT, "tcp://[fd00:10:96::1]:443");
  assert.is(env.V6_PORT_443_TCP, "tcp://[fd00:10:96::1]:443");
  assert.is(env.V6_PORT_443_TCP_ADDR, "fd00:10:96::1");
});

test("a service of the pod's namespace named like a master service wins over it, in either list order", () => {
  const own = service("app", "kubernetes", "10.96.0.99", [{ port: 8443 }]);
  assert.is(serviceEnvVarMap([KUBERNETES, own], "app", true).KUBERNETES_SERVICE_HOST, "10.96.0.99");
  assert.is(serviceEnvVarMap([own, KUBERNETES], "app", true).KUBERNETES_SERVICE_HOST, "10.96.0.99");
  // Without service links the namespace's own service is not seen: the master one is.
  assert.is(serviceEnvVarMap([own, KUBERNETES], "app", false).KUBERNETES_SERVICE_HOST, "10.96.0.1");
});

test("no services (standalone mode): no variables", () => {
  assert.equal(serviceEnvVarMap([], "app", true), {});
});

function podWith(container: Container): Pod {
  return { metadata: { name: "p", namespace: "app", uid: "u1" }, spec: { containers: [container] } };
}

test("a container's own env wins over a service variable of the same name", () => {
  const c: Container = { name: "c", env: [{ name: "FOO_SERVICE_HOST", value: "mine" }] };
  const r = makeContainerEnv(podWith(c), c, { serviceEnv: serviceEnvVarMap([KUBERNETES, FOO], "app", true) });
  const entries = r.env.filter((e) => e.key === "FOO_SERVICE_HOST");
  assert.equal(entries, [{ key: "FOO_SERVICE_HOST", value: "mine" }]);
  assert.is(r.env.find((e) => e.key === "FOO_SERVICE_PORT")?.value, "80");
  assert.is(r.env.length, 1 + Object.keys(KUBERNETES_VARS).length + Object.keys(FOO_VARS).length - 1);
});

test("$(FOO_SERVICE_HOST) in an env value expands to the service's cluster IP", () => {
  const c: Container = { name: "c", env: [{ name: "FOO_URL", value: "http://$(FOO_SERVICE_HOST):$(FOO_SERVICE_PORT)/" }] };
  const r = makeContainerEnv(podWith(c), c, { serviceEnv: serviceEnvVarMap([FOO], "app", true) });
  assert.equal(r.errors, []);
  assert.is(r.env.find((e) => e.key === "FOO_URL")?.value, "http://10.96.0.20:80/");
});

test.run();
