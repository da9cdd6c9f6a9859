import { test } from "uvu";
import * as assert from "uvu/assert";
import { KubeconfigError, loadKubeconfig, parseKubeconfig, renderClientCertKubeconfig } from "../../kubelet/config/kubeconfig.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";

function config(cluster: Record<string, unknown>, user: Record<string, unknown>, extra = ""): string {
  return JSON.stringify({
    apiVersion: "v1", kind: "Config", "current-context": "ctx",
    contexts: [{ name: "other", context: { cluster: "nope", user: "nope" } }, { name: "ctx", context: { cluster: "c1", user: "u1" } }],
    clusters: [{ name: "c1", cluster }], users: [{ name: "u1", user }],
  }) + extra;
}

function reader(files: Record<string, string>) {
  const reads: string[] = [];
  const read = async (p: string) => {
    reads.push(p);
    if (!(p in files)) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
    return files[p]!;
  };
  return { read, reads };
}

test("inline data: server, CA and client cert/key are decoded from base64", async () => {
  const text = config({ server: "https://127.0.0.1:6443/", "certificate-authority-data": b64(CA) }, { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") });
  const { read, reads } = reader({ "/etc/k/kubelet.conf": text });
  const s = await loadKubeconfig("/etc/k/kubelet.conf", read);
  assert.is(s.server, "https://127.0.0.1:6443");
  assert.is(s.caPem, CA);
  assert.is(s.clientCertPem, "CERT");
  assert.is(s.clientKeyPem, "KEY");
  assert.is(s.insecureSkipTlsVerify, false);
  assert.is(s.clientCertFile, undefined);
  assert.equal(reads, ["/etc/k/kubelet.conf"]);
});

test("file references are resolved against the kubeconfig's directory and read through the reader", async () => {
  const text = config({ server: "https://api:6443", "certificate-authority": "pki/ca.crt" }, { "client-certificate": "/var/lib/kubelet/pki/kubelet-client-current.pem", "client-key": "../keys/k.pem" });
  const { read } = reader({ "/etc/k/c": text, "/etc/k/pki/ca.crt": CA, "/var/lib/kubelet/pki/kubelet-client-current.pem": "PAIR", "/etc/keys/k.pem": "KEY" });
  const s = await loadKubeconfig("/etc/k/c", read);
  assert.is(s.caPem, CA);
  assert.is(s.clientCertPem, "PAIR");
  assert.is(s.clientCertFile, "/var/lib/kubelet/pki/kubelet-client-current.pem");
  assert.is(s.clientKeyFile, "/etc/keys/k.pem");
});

test("a bearer token, or a tokenFile (trimmed) when no token is given", async () => {
  const { read } = reader({ "/k/a": config({ server: "https://x" }, { token: "abc.def", tokenFile: "t" }), "/k/b": config({ server: "https://x" }, { tokenFile: "t" }), "/k/t": "filetoken\n" });
  assert.is((await loadKubeconfig("/k/a", read)).token, "abc.def");
  assert.is((await loadKubeconfig("/k/b", read)).token, "filetoken");
});

test("YAML as kubectl writes it parses", () => {
  const yaml = `apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1:6443
  name: testbed
contexts:
- context:
    cluster: testbed
    user: system:node:vm
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: system:node:vm
  user:
    token: 07401b.f395accd246ae52d
`;
  const e = parseKubeconfig(yaml, "/b/bootstrap.conf");
  assert.is(e.insecureSkipTlsVerify, true);
  assert.is(e.userName, "system:node:vm");
  assert.is(e.token, "07401b.f395accd246ae52d");
});

const fails = (text: string, re: RegExp) => assert.throws(() => parseKubeconfig(text, "/k/conf"), (e: Error) => e instanceof KubeconfigError && re.test(e.message) && e.message.includes("/k/conf"));

test("errors name the kubeconfig and the field", async () => {
  fails("a: [", /not valid YAML/);
  fails(JSON.stringify({ clusters: [] }), /current-context is not set/);
  fails(JSON.stringify({ "current-context": "x", contexts: [] }), /context "x" \(named by context\) not found in contexts/);
  fails(config({ server: "" }, {}), /clusters\["c1"\]\.cluster\.server is not set/);
  fails(config({ server: "127.0.0.1:6443" }, {}), /server: expected an https:\/\/ URL/);
  fails(config({ server: "https://x", "certificate-authority-data": "%%%" }, {}), /certificate-authority-data: not valid base64/);
  fails(config({ server: "https://x", "certificate-authority": "/ca", "insecure-skip-tls-verify": true }, {}), /cannot both be set/);
  fails(config({ server: "https://x" }, { "client-certificate": "/c" }), /users\["u1"\]\.user: client-certificate is set but client-key/);
  fails(config({ server: 5 }, {}), /server: expected a string/);
  const { read } = reader({ "/k/conf": config({ server: "https://x", "certificate-authority": "ca.crt" }, {}) });
  await loadKubeconfig("/k/conf", read).then(() => assert.unreachable(), (e: Error) => {
    assert.match(e.message, /kubeconfig \/k\/conf: certificate-authority \/k\/ca\.crt cannot be read: ENOENT/);
  });
  await loadKubeconfig("/missing", read).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /kubeconfig \/missing cannot be read/));
});

test("the kubeconfig written after bootstrap reads back to the same connection", async () => {
  const text = renderClientCertKubeconfig({ server: "https://127.0.0.1:6443", caPem: CA, pemPath: "/var/lib/kubelet/pki/kubelet-client-current.pem" });
  const { read } = reader({ "/var/lib/kubelet/kubeconfig": text, "/var/lib/kubelet/pki/kubelet-client-current.pem": "PAIR" });
  const s = await loadKubeconfig("/var/lib/kubelet/kubeconfig", read);
  assert.is(s.caPem, CA);
  assert.is(s.clientCertPem, "PAIR");
  assert.is(s.clientKeyPem, "PAIR");
  const e = parseKubeconfig(renderClientCertKubeconfig({ server: "https://a", caFile: "/etc/ca.crt", pemPath: "/p.pem" }), "/x");
  assert.is(e.certificateAuthority, "/etc/ca.crt");
  assert.is(e.contextName, "default-context");
});

test.run();
