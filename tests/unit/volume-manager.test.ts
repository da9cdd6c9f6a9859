import { createServer } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod, Volume } from "../../bindings/kube/types.ts";
import { nodeFs } from "../../hosts/node/fs.ts";
import { MemoryEventRecorder } from "../../kubelet/events/recorder.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import { standaloneObjectSource, type ConfigMap, type ObjectSource } from "../../kubelet/volumemanager/objectSource.ts";
import { VolumeManager } from "../../kubelet/volumemanager/volumeManager.ts";
import { FakeMounter } from "./support/fakeMounter.ts";

const clock: Clock = { now: () => Date.now(), setTimer: () => () => {}, sleep: async () => {} };
const b64 = (s: string) => Buffer.from(s).toString("base64");

function setup(objects?: ObjectSource) {
  const dir = mkdtempSync(join(tmpdir(), "kts-vm-"));
  const mounter = new FakeMounter();
  const events = new MemoryEventRecorder(() => Date.now(), silentLogger);
  const configMaps = new Map<string, ConfigMap>([["cfg", { metadata: { name: "cfg" }, data: { key: "v1" } }]]);
  const source: ObjectSource = objects ?? {
    getConfigMap: async (_ns, name) => configMaps.get(name),
    getSecret: async (_ns, name) => (name === "creds" ? { metadata: { name }, data: { password: b64("s3cret") } } : undefined),
    requestToken: async () => ({ token: "tok", expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() }),
  };
  const vm = new VolumeManager({
    fs: nodeFs, mounter, objects: source, clock, log: silentLogger, events, rootDir: dir, clusterDomain: "cluster.local",
    quantityBytes: (q) => (q === "64Mi" ? 64 * 1024 * 1024 : undefined),
  });
  return { dir, mounter, events, configMaps, vm, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function podWith(volumes: Volume[], uid = "u-1"): Pod {
  return {
    metadata: { name: "web", namespace: "prod", uid },
    spec: { volumes, containers: [{ name: "app", volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/mnt/${v.name}` })) }] },
  };
}

const volDir = (dir: string, plugin: string, name: string, uid = "u-1") => join(dir, "pods", uid, "volumes", plugin, name);

test("emptyDir is a 0777 directory on disk; medium Memory is a tmpfs sized by sizeLimit", async () => {
  const s = setup();
  try {
    const pod = podWith([{ name: "scratch", emptyDir: {} }, { name: "ram", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }]);
    assert.is(await s.vm.setUpPod(pod), undefined);
    assert.is(statSync(volDir(s.dir, "kubernetes.io~empty-dir", "scratch")).mode & 0o777, 0o777);
    assert.equal(s.mounter.calls, [`tmpfs ${volDir(s.dir, "kubernetes.io~empty-dir", "ram")} size=67108864`]);
  } finally {
    s.done();
  }
});

test("secret, downwardAPI and projected data sit on tmpfs; configMap data on disk; files via ..data links", async () => {
  const s = setup();
  try {
    const pod = podWith([
      { name: "cfg", configMap: { name: "cfg" } },
      { name: "sec", secret: { secretName: "creds" } },
      { name: "info", downwardAPI: { items: [{ path: "name", fieldRef: { fieldPath: "metadata.name" } }] } },
      { name: "proj", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
    ]);
    assert.is(await s.vm.setUpPod(pod), undefined);
    assert.equal(s.mounter.mounts.map((m) => m.mountPoint.split("/").slice(-2).join("/")), ["kubernetes.io~secret/sec", "kubernetes.io~downward-api/info", "kubernetes.io~projected/proj"]);
    assert.is(readFileSync(join(volDir(s.dir, "kubernetes.io~secret", "sec"), "password"), "utf8"), "s3cret");
    assert.is(readlinkSync(join(volDir(s.dir, "kubernetes.io~configmap", "cfg"), "key")), "..data/key");
    assert.is(readFileSync(join(volDir(s.dir, "kubernetes.io~downward-api", "info"), "name"), "utf8"), "web");
    assert.is(readFileSync(join(volDir(s.dir, "kubernetes.io~projected", "proj"), "token"), "utf8"), "tok");
  } finally {
    s.done();
  }
});

test("a missing configMap: FailedMount value and event, growing retry delay, nothing left on disk; it mounts once created", async () => {
  const s = setup();
  try {
    const pod = podWith([{ name: "cfg", configMap: { name: "later" } }]);
    const first = await s.vm.setUpPod(pod);
    assert.equal(first, { reason: "FailedMount", message: 'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found', retryAfterMs: 500 });
    assert.is((await s.vm.setUpPod(pod))?.retryAfterMs, 1000);
    const ev = s.events.list({ uid: "u-1" });
    assert.equal(ev.map((e) => [e.type, e.reason, e.message, e.count]), [["Warning", "FailedMount", first!.message, 2]]);
    assert.ok(!existsSync(volDir(s.dir, "kubernetes.io~configmap", "cfg")));
    s.configMaps.set("later", { metadata: { name: "later" }, data: { a: "1" } });
    assert.is(await s.vm.setUpPod(pod), undefined);
  } finally {
    s.done();
  }
});

test("volumes no container mounts are not set up (upstream skips unused volumes)", async () => {
  const s = setup();
  try {
    const pod: Pod = { metadata: { name: "web", namespace: "prod", uid: "u-1" }, spec: { volumes: [{ name: "cfg", configMap: { name: "absent" } }], containers: [{ name: "app" }] } };
    assert.is(await s.vm.setUpPod(pod), undefined);
  } finally {
    s.done();
  }
});

test("hostPath types are created or checked with upstream's messages", async () => {
  const s = setup();
  const sock = join(s.dir, "app.sock");
  const server = createServer();
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    writeFileSync(join(s.dir, "file"), "x");
    mkdirSync(join(s.dir, "adir"));
    let n = 0;
    const check = async (path: string, type: string) => (await s.vm.setUpPod(podWith([{ name: "h", hostPath: { path, type } }], `u-${++n}`)))?.message;
    assert.is(await check(join(s.dir, "new/dir"), "DirectoryOrCreate"), undefined);
    assert.ok(statSync(join(s.dir, "new/dir")).isDirectory());
    assert.is(await check(join(s.dir, "newfile"), "FileOrCreate"), undefined);
    assert.ok(statSync(join(s.dir, "newfile")).isFile());
    assert.is(await check(join(s.dir, "adir"), "Directory"), undefined);
    assert.is(await check(join(s.dir, "file"), "Directory"), `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(s.dir, "file")} is not a directory`);
    assert.is(await check(join(s.dir, "adir"), "File"), `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(s.dir, "adir")} is not a file`);
    assert.is(await check(join(s.dir, "file"), "DirectoryOrCreate"), `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(s.dir, "file")} is not a directory`);
    assert.is(await check(sock, "Socket"), undefined);
    assert.is(await check(join(s.dir, "file"), "Socket"), `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(s.dir, "file")} is not a socket file`);
    assert.is(await check("/dev/null", "CharDevice"), undefined);
    assert.is(await check("/dev/null", "BlockDevice"), 'MountVolume.SetUp failed for volume "h" : hostPath type check failed: /dev/null is not a block device');
    assert.is(await check(join(s.dir, "file"), "CharDevice"), `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(s.dir, "file")} is not a character device`);
    assert.is(await check(join(s.dir, "file"), "Weird"), 'MountVolume.SetUp failed for volume "h" : Weird is an invalid volume type');
    assert.is(await check(join(s.dir, "missing"), ""), undefined);
  } finally {
    server.close();
    s.done();
  }
});

test("re-sync rewrites configMap content in place; a failing source keeps the old content and records an event", async () => {
  const s = setup();
  try {
    const pod = podWith([{ name: "cfg", configMap: { name: "cfg" } }]);
    await s.vm.setUpPod(pod);
    const file = join(volDir(s.dir, "kubernetes.io~configmap", "cfg"), "key");
    assert.is(readFileSync(file, "utf8"), "v1");
    s.configMaps.set("cfg", { metadata: { name: "cfg" }, data: { key: "v2" } });
    await s.vm.resync();
    assert.is(readFileSync(file, "utf8"), "v2");
    s.configMaps.delete("cfg");
    await s.vm.resync();
    assert.is(readFileSync(file, "utf8"), "v2");
    assert.equal(s.events.list().map((e) => e.message), ['MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found']);
  } finally {
    s.done();
  }
});

test("teardown unmounts everything under the pod dir and removes volumes; a stuck mount keeps the files", async () => {
  const s = setup();
  try {
    const pod = podWith([{ name: "sec", secret: { secretName: "creds" } }, { name: "ram", emptyDir: { medium: "Memory" } }]);
    await s.vm.setUpPod(pod);
    const c = pod.spec.containers[0]!;
    c.volumeMounts!.push({ name: "ram", mountPath: "/sub", subPath: "x" });
    await s.vm.containerMounts(pod, c, { env: [], podIPs: ["10.88.0.9"] });
    assert.is(s.mounter.mounts.length, 3);
    s.mounter.stuck.add(s.mounter.mounts[0]!.mountPoint);
    await s.vm.tearDownPod("u-1").then(() => assert.unreachable("tore down with a mount left"), (e: Error) => assert.match(e.message, /still mounted/));
    assert.ok(existsSync(join(s.dir, "pods/u-1/volumes")));
    s.mounter.stuck.clear();
    await s.vm.tearDownPod("u-1");
    assert.equal(s.mounter.mounts, []);
    assert.ok(!existsSync(join(s.dir, "pods/u-1/volumes")));
    assert.ok(!existsSync(join(s.dir, "pods/u-1/volume-subpaths")));
    assert.ok(!existsSync(join(s.dir, "pods/u-1/etc-hosts")));
  } finally {
    s.done();
  }
});

test("env lookups read referenced configMaps and secrets once; standalone refuses with upstream's message", async () => {
  const s = setup();
  const pod = podWith([]);
  const c = { name: "app", envFrom: [{ configMapRef: { name: "cfg" } }], env: [{ name: "P", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } }] };
  try {
    const l = await s.vm.envLookups(pod, c);
    if ("error" in l) throw new Error(l.error);
    assert.equal(l.getConfigMap("cfg"), { key: "v1" });
    assert.equal(l.getSecret("creds"), { password: "s3cret" });
    const alone = setup(standaloneObjectSource);
    assert.equal(await alone.vm.envLookups(pod, c), { error: "couldn't get configMap prod/cfg, no kubeClient defined" });
    // A container that refers to no object needs no API server.
    assert.ok(!("error" in (await alone.vm.envLookups(pod, { name: "plain", env: [{ name: "A", value: "1" }] }))));
    alone.done();
  } finally {
    s.done();
  }
});

test.run();
