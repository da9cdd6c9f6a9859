import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CertificateSigningRequest } from "../../bindings/kube/node.ts";
import { nodeCertificateTools } from "../../hosts/node/csr.ts";
import { isClientConfigStillValid, loadClientCert, TMP_PRIVATE_KEY_FILE } from "../../kubelet/certificate/bootstrap.ts";
import { pairFileName, storeClientPair } from "../../kubelet/certificate/certStore.ts";
import { ClientCertificateRotator, MAX_TIMER_MS, nextRotationDeadline } from "../../kubelet/certificate/rotation.ts";
import { fakeClock } from "./support/fakeTime.ts";
import { loadKubeconfig, type ApiConnectionSettings } from "../../kubelet/config/kubeconfig.ts";
import { silentLogger } from "../../kubelet/log.ts";
import { ApiError, type ApiRequest, type ApiResponse, type ApiTransport, type WatchEvent } from "../../kubelet/ports/api.ts";
import { memoryFs } from "./support/memoryFs.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";

/** Real time with timers that keep the test process alive (the host clock's are unref'd). */
const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const dir = mkdtempSync(join(tmpdir(), "kts-boot-test-"));
function selfSigned(days: number, name: string): string {
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, `${name}.key`), "-subj", `/CN=${name}`, "-days", String(days), "-out", join(dir, `${name}.crt`)], { stdio: "ignore" });
  return readFileSync(join(dir, `${name}.crt`), "utf8");
}
const ISSUED = selfSigned(1, "issued");
const CA = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Answers CSR create/get/watch; `decide` says what the signer does with a request. */
class FakeCsrApi implements ApiTransport {
  readonly server = "https://fake:6443";
  readonly csrs = new Map<string, CertificateSigningRequest>();
  readonly seen: ApiRequest[] = [];
  settings: ApiConnectionSettings | undefined;
  closed = false;
  constructor(public decide: (csr: CertificateSigningRequest) => "approve" | "deny" | "pending") {}
  async request<T>(req: ApiRequest): Promise<ApiResponse<T>> {
    this.seen.push(req);
    if (req.method === "POST") {
      const csr = structuredClone(req.body as CertificateSigningRequest);
      csr.metadata.name ??= `csr-${this.csrs.size}`;
      if (this.csrs.has(csr.metadata.name)) throw new ApiError(409, "AlreadyExists", undefined, "POST");
      csr.metadata.uid = `uid-${csr.metadata.name}`;
      csr.metadata.resourceVersion = "1";
      this.csrs.set(csr.metadata.name, csr);
      return { status: 201, body: csr as T };
    }
    const name = req.path.split("/").at(-1)!;
    const csr = this.csrs.get(name);
    if (!csr) throw new ApiError(404, "NotFound", undefined, "GET");
    return { status: 200, body: structuredClone(csr) as T };
  }
  async watch<T>(_path: string, query: ApiRequest["query"], onEvent: (e: WatchEvent<T>) => void): Promise<void> {
    const name = String(query!.fieldSelector).split("=")[1]!;
    const csr = this.csrs.get(name)!;
    const verdict = this.decide(csr);
    if (verdict === "pending") return;
    csr.status = verdict === "approve"
      ? { conditions: [{ type: "Approved", status: "True", reason: "AutoApproved" }], certificate: b64(ISSUED) }
      : { conditions: [{ type: "Denied", status: "True", reason: "NotMine", message: "go away" }] };
    onEvent({ type: "MODIFIED", object: structuredClone(csr) as T });
  }
  close(): void {
    this.closed = true;
  }
}

function setup(decide: ConstructorParameters<typeof FakeCsrApi>[0] = () => "approve") {
  const bootstrapKubeconfig = JSON.stringify({
    "current-context": "b", contexts: [{ name: "b", context: { cluster: "c", user: "u" } }],
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority": "ca.crt" } }],
    users: [{ name: "u", user: { token: "abcdef.0123456789abcdef" } }],
  });
  const m = memoryFs({ "/etc/kubernetes/bootstrap.conf": bootstrapKubeconfig, "/etc/kubernetes/ca.crt": CA });
  const api = new FakeCsrApi(decide);
  const deps = { fs: m.fs, tools: nodeCertificateTools, connect: (s: ApiConnectionSettings) => ((api.settings = s), api), clock: realClock, log: silentLogger };
  const paths = { kubeconfigPath: "/var/lib/kubelet/kubeconfig", bootstrapKubeconfigPath: "/etc/kubernetes/bootstrap.conf", certDir: "/var/lib/kubelet/pki", nodeName: "n1", timeoutMs: 60_000 };
  return { m, api, deps, paths };
}

test("rotation deadline falls between 70% and 90% of the lifetime", () => {
  const v = { notBefore: 1_000_000, notAfter: 1_000_000 + 100_000 };
  assert.is(nextRotationDeadline(v, 0), 1_070_000);
  assert.is(nextRotationDeadline(v, 0.5), 1_080_000);
  assert.ok(nextRotationDeadline(v, 0.99999) < 1_090_000);
});

test("the store writes kubelet-client-<time>.pem (0600) and points kubelet-client-current.pem at it", async () => {
  const m = memoryFs();
  const t = Date.UTC(2026, 10, 22, 13, 4, 5);
  assert.is(pairFileName(t), "kubelet-client-2026-11-22-13-04-05.pem");
  const cur = await storeClientPair(m.fs, "/pki", "CERT", "KEY\n", t);
  assert.is(cur, "/pki/kubelet-client-current.pem");
  assert.is(m.linkTarget(cur), "kubelet-client-2026-11-22-13-04-05.pem");
  assert.is(await m.fs.readText(cur), "CERT\nKEY\n");
  assert.is((await m.fs.stat("/pki/kubelet-client-2026-11-22-13-04-05.pem"))!.mode, 0o600);
  await storeClientPair(m.fs, "/pki", "CERT2", "KEY2", t + 1000);
  assert.is(await m.fs.readText(cur), "CERT2\nKEY2\n");
});

test("bootstrap: a node CSR with the bootstrap token, then the issued pair and a kubeconfig pointing at it", async () => {
  const s = setup();
  assert.ok(await loadClientCert(s.deps, s.paths));
  assert.is(s.api.settings!.token, "abcdef.0123456789abcdef");
  assert.is(s.api.settings!.caPem, CA);
  const [csr] = [...s.api.csrs.values()];
  assert.match(csr!.metadata.name!, /^node-csr-/);
  assert.is(csr!.spec.signerName, "kubernetes.io/kube-apiserver-client-kubelet");
  assert.equal(csr!.spec.usages, ["digital signature", "key encipherment", "client auth"]);
  assert.match(Buffer.from(csr!.spec.request, "base64").toString(), /^-----BEGIN CERTIFICATE REQUEST-----/);
  assert.ok(s.api.closed);

  const written = await loadKubeconfig(s.paths.kubeconfigPath, (p) => s.m.fs.readText(p));
  assert.is(written.server, "https://10.0.0.1:6443");
  assert.is(written.caPem, CA, "the CA file of the bootstrap kubeconfig is referenced");
  assert.is(written.clientCertFile, "/var/lib/kubelet/pki/kubelet-client-current.pem");
  assert.match(written.clientCertPem!, /BEGIN CERTIFICATE[\s\S]*BEGIN EC PRIVATE KEY/);
  assert.is(await s.m.fs.stat(`/var/lib/kubelet/pki/${TMP_PRIVATE_KEY_FILE}`), undefined, "the pending key file is gone");

  assert.not.ok(await loadClientCert(s.deps, s.paths), "a valid kubeconfig is kept");
  assert.is(s.api.csrs.size, 1);
});

test("a restart while the CSR is pending reuses the key, so it finds the same CSR", async () => {
  const s = setup(() => "pending");
  await loadClientCert(s.deps, { ...s.paths, timeoutMs: 50 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /timed out .* waiting for csr node-csr-/));
  assert.ok(await s.m.fs.stat(`/var/lib/kubelet/pki/${TMP_PRIVATE_KEY_FILE}`), "the pending key is kept");
  const names = [...s.api.csrs.keys()];
  s.api.decide = () => "approve";
  assert.ok(await loadClientCert(s.deps, s.paths));
  assert.equal([...s.api.csrs.keys()], names, "no second CSR");
  assert.is(s.api.seen.filter((r) => r.method === "POST").length, 2, "the second POST met AlreadyExists and reused the CSR");
});

test("a denied CSR fails with the signer's reason; an expired certificate bootstraps again", async () => {
  const s = setup(() => "deny");
  await loadClientCert(s.deps, s.paths).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /is denied, reason: NotMine, message: go away/));
  const t = setup();
  await loadClientCert(t.deps, t.paths);
  const later = t.deps.clock.now() + 2 * 86400_000;
  assert.not.ok(await isClientConfigStillValid(t.m.fs, nodeCertificateTools, t.paths.kubeconfigPath, later, silentLogger));
  assert.ok(await isClientConfigStillValid(t.m.fs, nodeCertificateTools, t.paths.kubeconfigPath, t.deps.clock.now(), silentLogger));
  assert.not.ok(await isClientConfigStillValid(t.m.fs, nodeCertificateTools, "/nope", later, silentLogger));
});

test("rotation: a certificate past its deadline is replaced through a CSR with the current credentials", async () => {
  const s = setup();
  let retry = 0;
  s.api.decide = () => (retry++ === 0 ? "deny" : "approve");
  const rotated: Array<[string, string]> = [];
  const r = new ClientCertificateRotator({
    api: s.api, fs: s.m.fs, tools: nodeCertificateTools, clock: realClock, log: silentLogger, certDir: "/pki", nodeName: "n1", random: () => 0,
    onRotated: (cert, key) => rotated.push([cert, key]),
  });
  await r.rotate(); // denied: retried later with backoff
  assert.is(rotated.length, 0);
  await r.rotate();
  await r.stop();
  assert.is(rotated.length, 1);
  assert.is(rotated[0]![0], ISSUED);
  assert.ok(nodeCertificateTools.isPrivateKey(rotated[0]![1]));
  const csr = [...s.api.csrs.values()].at(-1)!;
  assert.is(csr.metadata.generateName, "csr-", "rotation CSRs are generated names, as upstream's certificate manager");
  assert.match(await s.m.fs.readText("/pki/kubelet-client-current.pem"), /BEGIN CERTIFICATE[\s\S]*BEGIN EC PRIVATE KEY/);
});

test("rotation of a one-year certificate waits until its deadline, in timer steps a JS timer can hold", async () => {
  const s = setup();
  const year = selfSigned(365, "year");
  const { clock, advance } = fakeClock(Date.now());
  const delays: number[] = [];
  const watched = { ...clock, setTimer: (ms: number, fn: () => void) => (delays.push(ms), clock.setTimer(ms, fn)) };
  let rotations = 0;
  const r = new ClientCertificateRotator({ api: s.api, fs: s.m.fs, tools: nodeCertificateTools, clock: watched, log: silentLogger, certDir: "/pki", nodeName: "n1", random: () => 0, onRotated: () => rotations++ });
  r.start(year);
  await advance(200 * 86400_000);
  assert.is(rotations, 0, "nothing before 70% of the lifetime");
  assert.is(s.api.csrs.size, 0);
  assert.ok(delays.every((d) => d <= MAX_TIMER_MS && d <= 2 ** 31 - 1), "no timer longer than 2^31-1 ms");
  await r.stop();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
