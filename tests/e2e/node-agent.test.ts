/**
 * The node side of cluster mode against the real kube-apiserver 1.20.2 and controller-manager:
 * registration, status, Lease, the node lifecycle controller's view, and TLS bootstrap.
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CertificateSigningRequest, Lease, Node } from "../../bindings/kube/node.ts";
import { eventually } from "../integration/support/eventually.ts";
import { assertHealthyConditions, assertHostNodeInfo } from "./support/nodeChecks.ts";
import { apiRequest } from "./support/cluster.ts";
import { NodeAgentProcess } from "./support/nodeAgentProcess.ts";

async function getJson<T>(path: string): Promise<T | undefined> {
  const res = await apiRequest("GET", path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}
const getNode = (name: string) => getJson<Node>(`/api/v1/nodes/${name}`);
const getLease = (name: string) => getJson<Lease>(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`);
const ready = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === "Ready");

function binarySI(bytes: number): string {
  let n = bytes, i = 0;
  const s = ["", "Ki", "Mi", "Gi", "Ti"];
  while (n % 1024 === 0 && n !== 0 && i < 4) { n /= 1024; i++; }
  return `${n}${s[i]}`;
}

const agent = NodeAgentProcess.create();

test.before(async () => {
  await agent.withNodeCertificate();
  agent.start();
});

test.after(async () => {
  await agent.cleanup();
});

test("the node registers and is Ready with its capacity, allocatable, nodeInfo, labels, taints and addresses", async () => {
  const node = await eventually("node Ready", async () => {
    const n = await getNode(agent.nodeName);
    return ready(n)?.status === "True" ? n : undefined;
  }, { timeoutMs: 30_000, describe: () => agent.output() });
  const st = node.status!;
  assert.is(st.capacity!.cpu, String(cpus().length));
  assert.is(st.capacity!.memory, binarySI(totalmem()));
  assert.is(st.capacity!.pods, "110");
  assert.is(st.allocatable!.memory, binarySI(totalmem() - 100 * 1024 * 1024), "memory.available 100Mi held back");
  const res = agent.line<{ capacity: { ephemeralStorageBytes: number }; allocatable: { ephemeralStorageBytes: number } }>("RESOURCES")!;
  assert.is(st.capacity!["ephemeral-storage"], binarySI(res.capacity.ephemeralStorageBytes));
  assert.is(st.allocatable!["ephemeral-storage"], binarySI(res.allocatable.ephemeralStorageBytes));
  // upstream multiplies by the percentage as a float32, as the core does
  const reserved = Math.trunc(res.capacity.ephemeralStorageBytes * Math.fround(0.1));
  assert.is(res.allocatable.ephemeralStorageBytes, res.capacity.ephemeralStorageBytes - reserved, "nodefs.available 10% held back");

  assertHostNodeInfo(st.nodeInfo!);

  assertHealthyConditions(st.conditions!);
  assert.is(ready(node)!.message, "kubelet is posting ready status");
  assert.equal(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.equal(st.addresses!.map((a) => a.type), ["InternalIP", "Hostname"]);
  assert.ok(st.images!.length > 0 && st.images!.every((i) => i.names!.length > 0 && i.sizeBytes! > 0), "images from the runtime");
  const l = node.metadata.labels!;
  assert.is(l["kubernetes.io/hostname"], agent.nodeName);
  assert.is(l["kubernetes.io/os"], "linux");
  assert.is(l["beta.kubernetes.io/arch"], "amd64");
  assert.is(l["kts-e2e"], "node-agent");
  assert.ok(node.spec!.taints!.some((t) => t.key === "kts-e2e" && t.effect === "NoSchedule"));
  const reasons = agent.events().map((e) => e.reason);
  assert.ok(reasons[0] === "Starting" && reasons.includes("NodeHasSufficientMemory") && reasons.includes("NodeHasNoDiskPressure") && reasons.includes("NodeHasSufficientPID"), reasons.join(","));
});

test("the Lease is held by the node, owned by the Node, and its renewTime advances", async () => {
  const node = (await getNode(agent.nodeName))!;
  const lease = await eventually("lease", () => getLease(agent.nodeName), { timeoutMs: 20_000 });
  assert.is(lease.spec!.holderIdentity, agent.nodeName);
  assert.is(lease.spec!.leaseDurationSeconds, 40);
  assert.match(lease.spec!.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(lease.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: agent.nodeName, uid: node.metadata.uid! }]);
  const first = lease.spec!.renewTime!;
  const renewed = await eventually("renewTime to advance", async () => {
    const l = await getLease(agent.nodeName);
    return l && l.spec!.renewTime! > first ? l : undefined;
  }, { timeoutMs: 25_000, intervalMs: 500 });
  const gap = Date.parse(renewed.spec!.renewTime!) - Date.parse(first);
  assert.ok(gap >= 9_000 && gap <= 13_000, `renewed ${gap} ms later (every 10 s)`);
});

test("a deleted Lease is recreated", async () => {
  const del = await apiRequest("DELETE", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${agent.nodeName}`);
  assert.is(del.status, 200);
  await eventually("lease recreated", () => getLease(agent.nodeName), { timeoutMs: 25_000, intervalMs: 500 });
});

test("the node lifecycle controller marks the node Unknown when the agent stops, and Ready again when it returns", async () => {
  await agent.stop("SIGKILL");
  const down = await eventually("Ready=Unknown", async () => {
    const n = await getNode(agent.nodeName);
    return ready(n)?.status === "Unknown" ? n : undefined;
  }, { timeoutMs: 60_000, intervalMs: 1000 });
  assert.is(ready(down)!.reason, "NodeStatusUnknown");
  assert.is(ready(down)!.message, "Kubelet stopped posting node status.");
  agent.start();
  const up = await eventually("Ready=True again", async () => {
    const n = await getNode(agent.nodeName);
    return ready(n)?.status === "True" ? n : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, describe: () => agent.output() });
  assert.is(ready(up)!.reason, "KubeletReady");
  await eventually("the restarted agent records NodeReady", () => (agent.events().some((e) => e.reason === "NodeReady") ? true : undefined), { timeoutMs: 15_000 });
});

test("TLS bootstrap: a bootstrap token gets a node client certificate through an auto-approved CSR, and the node registers with it", async () => {
  const boot = NodeAgentProcess.create();
  const { tokenId } = await boot.withBootstrapToken();
  try {
    boot.start();
    const node = await eventually("bootstrapped node Ready", async () => {
      const n = await getNode(boot.nodeName);
      return ready(n)?.status === "True" ? n : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: () => boot.output() });
    assert.ok(node);
    assert.equal(boot.line("CONNECTED"), { bootstrapped: true, clientCertFile: `${boot.certDir}/kubelet-client-current.pem` });
    const subject = execFileSync("openssl", ["x509", "-noout", "-subject", "-in", `${boot.certDir}/kubelet-client-current.pem`], { encoding: "utf8" });
    assert.match(subject, new RegExp(`O = system:nodes, CN = system:node:${boot.nodeName}`));
    const csrs = JSON.parse((await apiRequest("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests")).body).items as CertificateSigningRequest[];
    const csr = csrs.find((c) => c.spec.username === `system:bootstrap:${tokenId}`)!;
    assert.ok(csr, "the CSR was made with the bootstrap token");
    assert.match(csr.metadata.name!, /^node-csr-/);
    assert.is(csr.spec.signerName, "kubernetes.io/kube-apiserver-client-kubelet");
    assert.is(csr.status!.conditions![0]!.type, "Approved");
    assert.is(csr.status!.conditions![0]!.reason, "AutoApproved");
    // The issued certificate is good for a year: rotation waits (no CSRs from the node itself).
    await new Promise((r) => setTimeout(r, 3000));
    const fromNode = (JSON.parse((await apiRequest("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests")).body).items as CertificateSigningRequest[])
      .filter((c) => c.spec.username === `system:node:${boot.nodeName}`);
    assert.is(fromNode.length, 0, "no rotation CSRs right after bootstrap");
    // The node's status was written by the node identity (NodeRestriction would refuse anyone else's).
    const lease = await eventually("lease of the bootstrapped node", () => getLease(boot.nodeName), { timeoutMs: 20_000 });
    assert.is(lease.spec!.holderIdentity, boot.nodeName);
    // A restart keeps the issued certificate: no new CSR.
    await boot.stop();
    boot.start();
    await eventually("CONNECTED after restart", () => (boot.stdout.split("CONNECTED").length === 3 ? true : undefined), { timeoutMs: 30_000, describe: () => boot.output() });
    assert.equal(boot.line("CONNECTED"), { bootstrapped: false, clientCertFile: `${boot.certDir}/kubelet-client-current.pem` });
    await apiRequest("DELETE", `/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr.metadata.name}`);
  } finally {
    await boot.cleanup();
    await apiRequest("DELETE", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${tokenId}`);
  }
});

test.run();
