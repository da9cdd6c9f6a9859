/**
 * API-backed volumes and env against the real kube-apiserver v1.20.2, read with a node identity
 * (Node authorizer + NodeRestriction): pods are created bound to this test's node, their
 * containers run on the real containerd with the volume manager's mounts (no kubelet involved).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod, Volume } from "../../bindings/kube/types.ts";
import type { NodeApiTransport } from "../../hosts/node/apiTransport.ts";
import { nodeClock } from "../../hosts/node/clock.ts";
import { nodeFs } from "../../hosts/node/fs.ts";
import { nodeMounter } from "../../hosts/node/mounter.ts";
import { MemoryEventRecorder } from "../../kubelet/events/recorder.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import { apiObjectSource, type ObjectSource } from "../../kubelet/volumemanager/objectSource.ts";
import { VolumeManager } from "../../kubelet/volumemanager/volumeManager.ts";
import { closeTestCri, testCri } from "../integration/support/cri.ts";
import { eventually } from "../integration/support/eventually.ts";
import { sweepTestLeftovers } from "../integration/support/testSandbox.ts";
import { execSh, finishVolumePod, hostMounts, runVolumePod, type VolumePod } from "../integration/support/volumeKit.ts";
import { apiRequest } from "./support/cluster.ts";
import { nodeApiTransport } from "./support/nodeIdentity.ts";

const NODE = `kts-vol-e2e-${randomUUID().slice(0, 6)}`;
const NS = "default";
const rootDir = mkdtempSync(join(tmpdir(), "kts-volumes-e2e-"));
const created: string[] = [];
const opened = new Set<{ vm: VolumeManager; p: VolumePod }>();
let api: NodeApiTransport;
/** Added to the real time by the clock of volume managers that test token refresh. */
let skewMs = 0;
/** TokenRequests sent by the volume managers. */
let tokenRequests = 0;

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await apiRequest(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body);
}

async function createObject(resource: "configmaps" | "secrets", obj: Record<string, unknown>): Promise<void> {
  await admin("POST", `/api/v1/namespaces/${NS}/${resource}`, { apiVersion: "v1", kind: resource === "configmaps" ? "ConfigMap" : "Secret", ...obj });
  created.push(`/api/v1/namespaces/${NS}/${resource}/${(obj.metadata as { name: string }).name}`);
}

function manager(opts: { resyncPeriodMs?: number; skewed?: boolean } = {}): VolumeManager {
  const clock: Clock = opts.skewed ? { ...nodeClock, now: () => Date.now() + skewMs } : nodeClock;
  const source = apiObjectSource(api);
  const objects: ObjectSource = { ...source, requestToken: (ns, sa, spec) => (tokenRequests++, source.requestToken(ns, sa, spec)) };
  return new VolumeManager({
    fs: nodeFs, mounter: nodeMounter, objects, clock, log: silentLogger,
    events: new MemoryEventRecorder(() => Date.now(), silentLogger), rootDir, clusterDomain: "cluster.local", resyncPeriodMs: opts.resyncPeriodMs,
  });
}

/** Creates the pod in the API server bound to NODE and returns it as the server stored it (uid, admission defaults). */
async function createPod(name: string, volumes: Volume[], containers: Container[], extra: Partial<Pod["spec"]> = {}): Promise<Pod> {
  const pod = await admin("POST", `/api/v1/namespaces/${NS}/pods`, {
    apiVersion: "v1", kind: "Pod", metadata: { name },
    spec: { nodeName: NODE, automountServiceAccountToken: false, terminationGracePeriodSeconds: 0, volumes, containers: containers.map((c) => ({ image: "127.0.0.1:5000/busybox:latest", ...c })), ...extra },
  }) as Pod;
  created.push(`/api/v1/namespaces/${NS}/pods/${name}`);
  return pod;
}

async function run(vm: VolumeManager, pod: Pod): Promise<VolumePod> {
  const p = await runVolumePod(vm, "vol-e2e", pod);
  opened.add({ vm, p });
  return p;
}

async function finish(vm: VolumeManager, p: VolumePod): Promise<void> {
  for (const o of opened) if (o.p === p) opened.delete(o);
  assert.equal(await finishVolumePod(vm, p), []);
}

test.before(async () => {
  api = await nodeApiTransport(NODE);
  // A Node object keeps the pod GC from deleting our pods (they are bound to NODE) while tests run.
  await admin("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: NODE } });
  await testCri().then(sweepTestLeftovers).catch(() => undefined);
});

test.after(async () => {
  for (const { vm, p } of [...opened]) await finishVolumePod(vm, p).catch(() => undefined);
  for (const path of created.reverse()) await apiRequest("DELETE", `${path}?gracePeriodSeconds=0`).catch(() => undefined);
  await apiRequest("DELETE", `/api/v1/nodes/${NODE}`).catch(() => undefined);
  api?.close();
  rmSync(rootDir, { recursive: true, force: true });
  await closeTestCri();
});

test("configMap and secret volumes and env come from the API server; the secret is on tmpfs", async () => {
  const id = randomUUID().slice(0, 6);
  await createObject("configmaps", { metadata: { name: `cfg-${id}` }, data: { "app.properties": "color=blue", LEVEL: "debug" } });
  await createObject("secrets", { metadata: { name: `sec-${id}` }, stringData: { password: "s3cret", token: "abc" } });
  const pod = await createPod(`vols-${id}`, [
    { name: "cfg", configMap: { name: `cfg-${id}`, items: [{ key: "app.properties", path: "conf/app.properties" }] } },
    { name: "sec", secret: { secretName: `sec-${id}`, defaultMode: 0o400 } },
  ], [{
    name: "app",
    envFrom: [{ configMapRef: { name: `cfg-${id}` }, prefix: "CFG_" }],
    env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: `sec-${id}`, key: "password" } } }],
    volumeMounts: [{ name: "cfg", mountPath: "/config" }, { name: "sec", mountPath: "/secret" }],
  }]);
  const vm = manager();
  const p = await run(vm, pod);
  assert.is(await execSh(p, "app", "cat /config/conf/app.properties"), "color=blue");
  assert.is(await execSh(p, "app", "cat /secret/password; echo; stat -L -c %a /secret/token"), "s3cret\n400\n");
  assert.is(await execSh(p, "app", "echo $CFG_LEVEL $PASSWORD"), "debug s3cret\n");
  const secretDir = join(vm.podDir(pod.metadata.uid!), "volumes/kubernetes.io~secret/sec");
  assert.is(hostMounts().find((m) => m.mountPoint === secretDir)?.fsType, "tmpfs", "secret data must be on tmpfs");
  await finish(vm, p);
});

test("a configMap update is visible in the running container within the re-sync period", async () => {
  const id = randomUUID().slice(0, 6);
  await createObject("configmaps", { metadata: { name: `live-${id}` }, data: { mode: "blue" } });
  const pod = await createPod(`live-${id}`, [{ name: "cfg", configMap: { name: `live-${id}` } }], [{ name: "app", volumeMounts: [{ name: "cfg", mountPath: "/config" }] }]);
  const vm = manager({ resyncPeriodMs: 1000 });
  vm.start();
  try {
    const p = await run(vm, pod);
    assert.is(await execSh(p, "app", "cat /config/mode"), "blue");
    await admin("PUT", `/api/v1/namespaces/${NS}/configmaps/live-${id}`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `live-${id}` }, data: { mode: "green" } });
    const changedAt = Date.now();
    await eventually("container sees the new configMap value", async () => ((await execSh(p, "app", "cat /config/mode")) === "green" ? true : undefined), { timeoutMs: 10_000, intervalMs: 100 });
    assert.ok(Date.now() - changedAt < 5000, "took longer than the 1 s re-sync period allows");
    await finish(vm, p);
  } finally {
    vm.stop();
  }
});

test("a missing configMap and one the node may not read fail with FailedMount; a missing optional one is empty", async () => {
  const id = randomUUID().slice(0, 6);
  await createObject("configmaps", { metadata: { name: `unreferenced-${id}` }, data: { a: "1" } });
  const pod = await createPod(`missing-${id}`, [
    { name: "gone", configMap: { name: `absent-${id}` } },
    { name: "maybe", configMap: { name: `absent2-${id}`, optional: true } },
  ], [{ name: "app", volumeMounts: [{ name: "gone", mountPath: "/a" }, { name: "maybe", mountPath: "/b" }] }]);
  const vm = manager();
  const err = await vm.setUpPod(pod);
  assert.is(err?.message, `MountVolume.SetUp failed for volume "gone" : configmap "absent-${id}" not found`);
  // The Node authorizer only lets a node read objects its pods reference.
  const sneaky: Pod = { ...pod, metadata: { ...pod.metadata, uid: randomUUID() }, spec: { ...pod.spec, volumes: [{ name: "gone", configMap: { name: `unreferenced-${id}` } }], containers: [{ name: "app", volumeMounts: [{ name: "gone", mountPath: "/a" }] }] } };
  assert.match((await vm.setUpPod(sneaky))?.message ?? "", /^MountVolume\.SetUp failed for volume "gone" : .*403 Forbidden.*cannot get resource "configmaps"/);
  await vm.tearDownPod(pod.metadata.uid!);
  await vm.tearDownPod(sneaky.metadata.uid!);
});

test("the service-account token secret volume of a 1.20 pod mounts where admission put it", async () => {
  const id = randomUUID().slice(0, 6);
  const pod = await createPod(`satoken-${id}`, [], [{ name: "app" }], { automountServiceAccountToken: true });
  const vol = pod.spec.volumes?.find((v) => v.secret?.secretName?.startsWith("default-token-"));
  assert.ok(vol, `admission added no token volume: ${JSON.stringify(pod.spec.volumes)}`);
  const vm = manager();
  const p = await run(vm, pod);
  assert.is(await execSh(p, "app", "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace"), NS);
  assert.match(await execSh(p, "app", "cat /var/run/secrets/kubernetes.io/serviceaccount/ca.crt"), /^-----BEGIN CERTIFICATE-----/);
  await finish(vm, p);
});

async function review(token: string, audience: string): Promise<{ authenticated?: boolean; user?: { username?: string; extra?: Record<string, string[]> } }> {
  const r = await admin("POST", "/apis/authentication.k8s.io/v1/tokenreviews", { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences: [audience] } });
  return (r as { status: { authenticated?: boolean; user?: { username?: string; extra?: Record<string, string[]> } } }).status;
}

test("a projected service-account token is bound to the pod, has the audience, and is refreshed at 80% of its lifetime", async () => {
  const id = randomUUID().slice(0, 6);
  const audience = `kts-e2e-${id}`;
  const pod = await createPod(`projected-${id}`, [{ name: "token", projected: { defaultMode: 0o440, sources: [
    { serviceAccountToken: { path: "token", audience, expirationSeconds: 600 } },
    { downwardAPI: { items: [{ path: "name", fieldRef: { fieldPath: "metadata.name" } }] } },
  ] } }], [{ name: "app", volumeMounts: [{ name: "token", mountPath: "/var/run/secrets/tokens" }] }]);
  skewMs = 0;
  const vm = manager({ skewed: true });
  const p = await run(vm, pod);
  const first = await execSh(p, "app", "cat /var/run/secrets/tokens/token");
  assert.is(await execSh(p, "app", "cat /var/run/secrets/tokens/name"), pod.metadata.name);
  assert.is(await execSh(p, "app", "stat -L -c %a /var/run/secrets/tokens/token"), "440\n");
  const st = await review(first, audience);
  assert.is(st.authenticated, true);
  assert.is(st.user?.username, `system:serviceaccount:${NS}:default`);
  assert.equal(st.user?.extra?.["authentication.kubernetes.io/pod-uid"], [pod.metadata.uid]);
  const requested = tokenRequests;
  await vm.resync();
  assert.is(tokenRequests, requested, "refreshed too early");
  assert.is(await execSh(p, "app", "cat /var/run/secrets/tokens/token"), first);
  // Tokens issued within the same second are identical JWTs: let the second change first.
  const second0 = Math.floor(Date.now() / 1000);
  await eventually("the clock to reach the next second", () => (Math.floor(Date.now() / 1000) > second0 ? true : undefined));
  skewMs = 491_000; // past 80% of 600 s (plus the at most 10 s jitter)
  await vm.resync();
  assert.is(tokenRequests, requested + 1);
  const second = await execSh(p, "app", "cat /var/run/secrets/tokens/token");
  assert.is.not(second, first);
  assert.is((await review(second, audience)).authenticated, true);
  await finish(vm, p);
});

test.run();
