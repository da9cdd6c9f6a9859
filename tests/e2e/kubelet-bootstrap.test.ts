/**
 * The whole kubelet-ts process joining with TLS bootstrap against kube-apiserver 1.20.2: a bootstrap
 * token gets a node client certificate through a CSR the controller-manager auto-approves, the node
 * registers with it, runs a pod and reports its status; a restart reuses the certificate.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import type { CertificateSigningRequest } from "../../bindings/kube/node.ts";
import type { Pod } from "../../bindings/kube/types.ts";
import { createNamespace, deleteNamespace, getLease, mustRequest, waitNodeReady, waitPod } from "./support/apiObjects.ts";
import { apiRequest } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, READY_FILE_PROBE, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";
import { eventually } from "../integration/support/eventually.ts";

let k: ClusterKubelet;
let ns: string;
const csrNames: string[] = [];

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-boot", bootstrap: true, configLines: ["rotateCertificates: true"] });
  ns = await createNamespace("boot");
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
  for (const n of csrNames) await apiRequest("DELETE", `/apis/certificates.k8s.io/v1/certificatesigningrequests/${n}`).catch(() => undefined);
});

const csrsBy = async (user: string) =>
  ((await mustRequest<{ items: CertificateSigningRequest[] }>("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests")).items).filter((c) => c.spec.username === user);

test("--bootstrap-kubeconfig: the CSR is auto-approved, the kubeconfig points at the issued certificate, the node registers Ready", async () => {
  await k.start(120_000);
  await waitNodeReady(k.nodeName, "True", 30_000, () => k.output());
  const [csr, ...more] = await csrsBy(`system:bootstrap:${k.tokenId}`);
  assert.ok(csr, "a CSR made with the bootstrap token");
  csrNames.push(csr!.metadata.name!);
  assert.is(more.length, 0, "one CSR");
  assert.match(csr!.metadata.name!, /^node-csr-/);
  assert.is(csr!.spec.signerName, "kubernetes.io/kube-apiserver-client-kubelet");
  assert.equal([csr!.status!.conditions![0]!.type, csr!.status!.conditions![0]!.reason], ["Approved", "AutoApproved"]);

  const certFile = `${k.rootDir}/pki/kubelet-client-current.pem`;
  const subject = execFileSync("openssl", ["x509", "-noout", "-subject", "-in", certFile], { encoding: "utf8" });
  assert.match(subject, new RegExp(`O = system:nodes, CN = system:node:${k.nodeName}`));
  const kubeconfig = parse(readFileSync(k.kubeconfig, "utf8"));
  assert.is(kubeconfig.users[0].user["client-certificate"], certFile);
  assert.is(kubeconfig.users[0].user["client-key"], certFile);
  const lease = await eventually("lease", () => getLease(k.nodeName), { timeoutMs: 20_000 });
  assert.is(lease.spec!.holderIdentity, k.nodeName);
});

test("the bootstrapped kubelet runs a pod from the API server and writes its status", async () => {
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`,
    podObject(ns, "hello", k.placement(), [shContainer("main", TRAPPING_SLEEPER, { readinessProbe: READY_FILE_PROBE })]));
  const pod = await waitPod(ns, "hello", "Running and Ready", (p) => p.status?.phase === "Running" && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True", 60_000, () => k.output());
  // The service account token volume came from the API through the node's own identity.
  assert.ok(pod.spec.volumes!.some((v) => v.name.startsWith("default-token-")));
  assert.is(pod.status!.containerStatuses![0]!.restartCount, 0);
});

test("a restart reuses the issued certificate: no new CSR, the node is Ready again", async () => {
  await k.stop();
  await k.start();
  await waitNodeReady(k.nodeName, "True", 30_000, () => k.output());
  assert.is((await csrsBy(`system:bootstrap:${k.tokenId}`)).length, 1, "still the one bootstrap CSR");
  assert.is((await csrsBy(`system:node:${k.nodeName}`)).length, 0, "no rotation CSR for a fresh one-year certificate");
  const pod = await waitPod(ns, "hello", "Ready", (p) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True");
  assert.is(pod.status!.containerStatuses![0]!.restartCount, 0);
});

test.run();
