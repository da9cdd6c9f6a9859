/**
 * The volume manager on the real node: real mounts (util-linux), real containerd containers that
 * read and write their volumes (ExecSync), and teardown that leaves nothing mounted or on disk.
 * ConfigMaps and Secrets come from an in-memory object source here; tests/e2e/volumes*.test.ts
 * reads them from the real API server.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod, Volume } from "../../bindings/kube/types.ts";
import { nodeClock } from "../../hosts/node/clock.ts";
import { nodeFs } from "../../hosts/node/fs.ts";
import { nodeMounter } from "../../hosts/node/mounter.ts";
import { MemoryEventRecorder } from "../../kubelet/events/recorder.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { ConfigMap, ObjectSource } from "../../kubelet/volumemanager/objectSource.ts";
import { VolumeManager } from "../../kubelet/volumemanager/volumeManager.ts";
import { closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { sweepTestLeftovers } from "./support/testSandbox.ts";
import { execSh, finishVolumePod, hostMounts, runVolumePod, startContainer, type VolumePod } from "./support/volumeKit.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

const configMaps = new Map<string, ConfigMap>();
const objects: ObjectSource = {
  getConfigMap: async (_ns, name) => configMaps.get(name),
  getSecret: async (_ns, name) => (name === "creds" ? { metadata: { name }, data: { password: b64("s3cret") } } : undefined),
  requestToken: async () => { throw new Error("no tokens in integration tests"); },
};

const rootDir = mkdtempSync(join(tmpdir(), "kts-volumes-it-"));
const events = new MemoryEventRecorder(() => Date.now(), silentLogger);
const vm = new VolumeManager({
  fs: nodeFs, mounter: nodeMounter, objects, clock: nodeClock, log: silentLogger, events, rootDir, clusterDomain: "cluster.local",
  quantityBytes: (q) => (q === "8Mi" ? 8 * 1024 * 1024 : undefined),
});
const opened = new Set<VolumePod>();

/** Runs a pod with these volumes and containers (and labels) in a test sandbox. */
async function runPod(prefix: string, volumes: Volume[], containers: Container[], labels: Record<string, string> = {}): Promise<VolumePod> {
  const pod: Pod = { metadata: { name: `${prefix}-${randomUUID().slice(0, 8)}`, namespace: "kts-integration", uid: randomUUID(), labels }, spec: { volumes, containers } };
  const p = await runVolumePod(vm, prefix, pod);
  opened.add(p);
  return p;
}

const exec = execSh;

/** Tears the pod down and asserts nothing of its volumes is left mounted or on disk. */
async function finish(p: VolumePod): Promise<void> {
  opened.delete(p);
  assert.equal(await finishVolumePod(vm, p), []);
}

test.before(async () => {
  await testCri().then(sweepTestLeftovers).catch(() => undefined);
});

test.after(async () => {
  for (const p of [...opened]) await finishVolumePod(vm, p).catch(() => undefined);
  rmSync(rootDir, { recursive: true, force: true });
  await closeTestCri();
});

test("an emptyDir is shared between two containers of a pod", async () => {
  const p = await runPod("vol-shared", [{ name: "shared", emptyDir: {} }], [
    { name: "writer", command: ["sh", "-c", "echo hello > /data/msg; trap 'exit 0' TERM; sleep 3600 & wait"], volumeMounts: [{ name: "shared", mountPath: "/data" }] },
    { name: "reader", volumeMounts: [{ name: "shared", mountPath: "/in" }] },
  ]);
  assert.is(await eventually("reader sees the writer's file", () => exec(p, "reader", "cat /in/msg 2>/dev/null || true").then((s) => s || undefined)), "hello\n");
  await finish(p);
});

test("an emptyDir with medium Memory is a tmpfs of sizeLimit on the host and in the container", async () => {
  const p = await runPod("vol-tmpfs", [{ name: "ram", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } }], [
    { name: "app", volumeMounts: [{ name: "ram", mountPath: "/ram" }] },
  ]);
  const dir = join(rootDir, "pods", p.pod.metadata.uid!, "volumes/kubernetes.io~empty-dir/ram");
  const onHost = hostMounts().find((m) => m.mountPoint === dir);
  assert.is(onHost?.fsType, "tmpfs");
  assert.ok(onHost?.options.includes("size=8192k"), onHost?.options.join(","));
  assert.match(await exec(p, "app", "grep ' /ram ' /proc/mounts"), /^tmpfs \/ram tmpfs .*size=8192k/);
  await finish(p);
});

test("a secret volume is a tmpfs, read-only in the container, with the secret's files", async () => {
  const p = await runPod("vol-secret", [{ name: "sec", secret: { secretName: "creds", defaultMode: 0o400 } }], [
    { name: "app", volumeMounts: [{ name: "sec", mountPath: "/etc/creds" }] },
  ]);
  const dir = join(rootDir, "pods", p.pod.metadata.uid!, "volumes/kubernetes.io~secret/sec");
  assert.is(hostMounts().find((m) => m.mountPoint === dir)?.fsType, "tmpfs");
  assert.is(await exec(p, "app", "cat /etc/creds/password"), "s3cret");
  assert.is(await exec(p, "app", "stat -L -c %a /etc/creds/password"), "400\n");
  assert.match(await exec(p, "app", "touch /etc/creds/x 2>&1 || echo refused"), /Read-only file system/);
  await finish(p);
});

test("hostPath DirectoryOrCreate creates the host dir; the container writes into it; a type mismatch fails the mount", async () => {
  const hostDir = join(rootDir, "host/data");
  const p = await runPod("vol-hostpath", [{ name: "h", hostPath: { path: hostDir, type: "DirectoryOrCreate" } }], [
    { name: "app", volumeMounts: [{ name: "h", mountPath: "/h" }] },
  ]);
  await exec(p, "app", "echo from-container > /h/out");
  assert.is(readFileSync(join(hostDir, "out"), "utf8"), "from-container\n");
  await finish(p);
  assert.ok(existsSync(join(hostDir, "out")), "teardown must not touch hostPath data");

  writeFileSync(join(rootDir, "host/file"), "");
  const bad: Pod = { metadata: { name: "bad", namespace: "kts-integration", uid: "bad-hostpath" }, spec: {
    volumes: [{ name: "h", hostPath: { path: join(rootDir, "host/file"), type: "Directory" } }],
    containers: [{ name: "app", volumeMounts: [{ name: "h", mountPath: "/h" }] }],
  } };
  assert.is((await vm.setUpPod(bad))?.message, `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(rootDir, "host/file")} is not a directory`);
  await vm.tearDownPod("bad-hostpath");
});

test("downwardAPI files and the kubelet's /etc/hosts are readable in the container", async () => {
  const p = await runPod("vol-downward", [{ name: "info", downwardAPI: { items: [
    { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
    { path: "meta/name", fieldRef: { fieldPath: "metadata.name" } },
  ] } }], [{ name: "app", volumeMounts: [{ name: "info", mountPath: "/etc/podinfo" }] }], { tier: "web", app: "shop" });
  assert.is(await exec(p, "app", "cat /etc/podinfo/labels"), 'app="shop"\ntier="web"');
  assert.is(await exec(p, "app", "cat /etc/podinfo/meta/name"), p.pod.metadata.name);
  const hosts = await exec(p, "app", "cat /etc/hosts");
  assert.match(hosts, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  assert.match(hosts, new RegExp(`\\n[0-9.]+\\t${p.pod.metadata.name}\\n$`));
  await finish(p);
});

test("a configMap update reaches a running container on the next re-sync, atomically", async () => {
  configMaps.set("app-config", { metadata: { name: "app-config" }, data: { "mode": "blue" } });
  const p = await runPod("vol-configmap", [{ name: "cfg", configMap: { name: "app-config" } }], [
    { name: "app", volumeMounts: [{ name: "cfg", mountPath: "/config" }] },
  ]);
  assert.is(await exec(p, "app", "cat /config/mode"), "blue");
  configMaps.set("app-config", { metadata: { name: "app-config" }, data: { "mode": "green", extra: "1" } });
  await vm.resync();
  assert.is(await exec(p, "app", "cat /config/mode; cat /config/extra"), "green1");
  assert.match(await exec(p, "app", "ls -a /config | tr '\\n' ' '"), /^\. \.\. \.\.[0-9_]+\.[0-9]+ \.\.data extra mode $/);
  await finish(p);
});

test("subPath and subPathExpr mount pieces of a volume; a symlink escaping the volume is refused", async () => {
  const p = await runPod("vol-subpath", [{ name: "shared", emptyDir: {} }], [
    { name: "writer", command: ["sh", "-c", "mkdir -p /all/conf && echo x=1 > /all/conf/app.conf && ln -s /etc /all/evil; trap 'exit 0' TERM; sleep 3600 & wait"], volumeMounts: [{ name: "shared", mountPath: "/all" }] },
  ]);
  await eventually("writer prepared the volume", () => exec(p, "writer", "test -L /all/evil && echo ok").catch(() => undefined));
  const uid = p.pod.metadata.uid!;
  p.pod.spec.containers.push({ name: "reader", env: [{ name: "POD_NAME", value: "r1" }], volumeMounts: [
    { name: "shared", mountPath: "/app.conf", subPath: "conf/app.conf" },
    { name: "shared", mountPath: "/mine", subPathExpr: "per-pod/$(POD_NAME)" },
  ] });
  await startContainer(vm, p, "reader");
  assert.is(await exec(p, "reader", "cat /app.conf"), "x=1\n");
  await exec(p, "reader", "echo mine > /mine/f");
  assert.is(await exec(p, "writer", "cat /all/per-pod/r1/f"), "mine\n");
  assert.ok(statSync(join(rootDir, "pods", uid, "volume-subpaths/shared/reader/0")).isFile());

  const evil: Container = { name: "evil", volumeMounts: [{ name: "shared", mountPath: "/x", subPath: "evil" }] };
  assert.equal(await vm.containerMounts(p.pod, evil, { env: [], podIPs: [] }), { error: 'failed to prepare subPath for volumeMount "shared" of container "evil"' });
  await finish(p);
});

test.run();
