import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod, PodSpec } from "../../bindings/kube/types.ts";
import { parseResolvConf, podDnsConfig, type DnsSettings, type PodDnsResult } from "../../kubelet/network/dnsConfig.ts";

const HOST = "# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch old.example\nsearch corp.example lab.example\noptions timeout:2 rotate\n";
const cluster: DnsSettings = { clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", hostResolvConf: HOST };

function pod(spec: Partial<PodSpec> = {}): Pod {
  return { metadata: { name: "web", namespace: "prod", uid: "u-1" }, spec: { containers: [], ...spec } };
}
function ok(r: PodDnsResult) {
  if ("error" in r) throw new Error(r.error);
  return r;
}

test("resolv.conf: nameservers accumulate, the last search and options lines win, comments are skipped", () => {
  const r = parseResolvConf(HOST);
  assert.equal(r.nameservers, ["10.0.0.2", "10.0.0.3"]);
  assert.equal(r.searches, ["corp.example", "lab.example"]);
  assert.equal(r.options, ["timeout:2", "rotate"]);
  assert.equal(r.errors, []);
});

test("resolv.conf: a nameserver line without an address is an error that fails the pod's DNS", () => {
  assert.equal(parseResolvConf("nameserver\n").errors, ["nameserver list is empty "]);
  assert.equal(podDnsConfig(pod(), { ...cluster, hostResolvConf: "nameserver\n" }), { error: "nameserver list is empty " });
});

test("ClusterFirst: cluster DNS only, cluster search path before the host's, ndots:5", () => {
  const r = ok(podDnsConfig(pod(), cluster));
  assert.equal(r.config, {
    servers: ["10.96.0.10"],
    searches: ["prod.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"],
    options: ["ndots:5"],
  });
  assert.equal(r.warnings, []);
});

test("an unset dnsPolicy behaves as ClusterFirst", () => {
  assert.equal(ok(podDnsConfig(pod(), cluster)).config, ok(podDnsConfig(pod({ dnsPolicy: "ClusterFirst" }), cluster)).config);
});

test("ClusterFirst without a cluster domain keeps only the host search path", () => {
  const r = ok(podDnsConfig(pod(), { ...cluster, clusterDomain: "" }));
  assert.equal(r.config.searches, ["corp.example", "lab.example"]);
});

test("cluster search domains repeated in the host search path appear once", () => {
  const r = ok(podDnsConfig(pod(), { ...cluster, hostResolvConf: "search cluster.local corp.example\n" }));
  assert.equal(r.config.searches, ["prod.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"]);
});

test("ClusterFirst on the host network falls back to the host's resolv.conf", () => {
  const r = ok(podDnsConfig(pod({ hostNetwork: true }), cluster));
  assert.equal(r.config, { servers: ["10.0.0.2", "10.0.0.3"], searches: ["corp.example", "lab.example"], options: ["timeout:2", "rotate"] });
});

test("ClusterFirstWithHostNet uses cluster DNS even on the host network", () => {
  const r = ok(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }), cluster));
  assert.equal(r.config.servers, ["10.96.0.10"]);
  assert.equal(r.config.options, ["ndots:5"]);
});

test("Default uses the host's resolv.conf as is", () => {
  const r = ok(podDnsConfig(pod({ dnsPolicy: "Default" }), cluster));
  assert.equal(r.config.servers, ["10.0.0.2", "10.0.0.3"]);
  assert.equal(r.config.options, ["timeout:2", "rotate"]);
});

test("Default with host DNS disabled (resolvConf \"\") points at the local resolver", () => {
  const r = ok(podDnsConfig(pod({ dnsPolicy: "Default" }), { ...cluster, hostResolvConf: undefined }));
  assert.equal(r.config, { servers: ["127.0.0.1"], searches: ["."], options: [] });
});

test("None starts empty and takes only the pod's dnsConfig", () => {
  const r = ok(podDnsConfig(pod({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: ["a.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } }), cluster));
  assert.equal(r.config, { servers: ["1.1.1.1"], searches: ["a.example"], options: ["ndots:2", "edns0"] });
});

test("ClusterFirst without clusterDNS falls back to Default with a MissingClusterDNS warning", () => {
  const r = ok(podDnsConfig(pod(), { ...cluster, clusterDNS: [] }));
  assert.equal(r.config.servers, ["10.0.0.2", "10.0.0.3"]);
  assert.equal(r.config.searches, ["corp.example", "lab.example"]);
  assert.equal(r.warnings.map((w) => w.reason), ["MissingClusterDNS"]);
  assert.is(r.warnings[0]!.message, 'pod: "web_prod(u-1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.');
});

test("the pod's dnsConfig is appended without duplicates and its options override same-named ones", () => {
  const r = ok(podDnsConfig(pod({ dnsConfig: { nameservers: ["10.96.0.10", "8.8.8.8"], searches: ["cluster.local", "x.example"], options: [{ name: "ndots", value: "1" }, { name: "single-request" }] } }), cluster));
  assert.equal(r.config.servers, ["10.96.0.10", "8.8.8.8"]);
  assert.equal(r.config.searches.slice(-1), ["x.example"]);
  assert.equal(r.config.options, ["ndots:1", "single-request"]);
});

test("more than 3 nameservers are cut to 3 with a DNSConfigForming warning", () => {
  const r = ok(podDnsConfig(pod({ dnsConfig: { nameservers: ["1.1.1.1", "8.8.8.8", "9.9.9.9"] } }), cluster));
  assert.equal(r.config.servers, ["10.96.0.10", "1.1.1.1", "8.8.8.8"]);
  assert.equal(r.warnings, [{ reason: "DNSConfigForming", message: "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 8.8.8.8" }]);
});

test("more than 6 search domains are cut to 6 with a DNSConfigForming warning", () => {
  const r = ok(podDnsConfig(pod(), { ...cluster, hostResolvConf: "search a b c d e\n" }));
  assert.equal(r.config.searches, ["prod.svc.cluster.local", "svc.cluster.local", "cluster.local", "a", "b", "c"]);
  assert.equal(r.warnings.map((w) => w.reason), ["DNSConfigForming"]);
  assert.match(r.warnings[0]!.message, /the applied search line is: prod\.svc\.cluster\.local svc\.cluster\.local cluster\.local a b c$/);
});

test("a search line over 256 characters loses whole domains from the end", () => {
  const long = (ch: string) => ch.repeat(60) + ".example";
  const r = ok(podDnsConfig(pod({ dnsPolicy: "Default" }), { ...cluster, hostResolvConf: `search ${long("a")} ${long("b")} ${long("c")} ${long("d")}\n` }));
  assert.equal(r.config.searches, [long("a"), long("b"), long("c")]);
  assert.ok(r.config.searches.join(" ").length <= 256);
  assert.equal(r.warnings.map((w) => w.reason), ["DNSConfigForming"]);
});

test.run();
