/**
 * Volumes through the whole kubelet-ts process (standalone, static pods): volumes set up before
 * containers start, a volume that cannot be set up keeps the pod ContainerCreating with a
 * FailedMount event until it can, and removal leaves no mounts or volume dirs behind.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseProcMounts } from "../../hosts/node/mounter.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { bareId, eventMessages, execIn, keepLog, podManifest, shContainer, statusOf, trapped, waitPod, waitRunning, withPod } from "./support/podKit.ts";

const test = suite<Record<string, never>>("kubelet volumes");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-vol");
  await k.start();
});
test.after(async () => {
  keepLog(k, "kubelet-volumes");
  await k?.dispose();
});

const mountsUnder = (dir: string) => parseProcMounts(readFileSync("/proc/self/mounts", "utf8")).filter((m) => m.mountPoint.startsWith(dir));

test("emptyDir (disk and Memory) and downwardAPI volumes are mounted before the containers start; removal leaves nothing", async () => {
  const pod = podManifest("vols", {
    volumes: [{ name: "shared", emptyDir: {} }, { name: "ram", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }, { name: "info", downwardAPI: { items: [
      { path: "name", fieldRef: { fieldPath: "metadata.name" } },
      { path: "cpu_limit", resourceFieldRef: { containerName: "reader", resource: "limits.cpu", divisor: "1m" } },
    ] } }],
    containers: [
      shContainer("writer", trapped("echo hi > /shared/msg; while true; do sleep 1; done"), { volumeMounts: [{ name: "shared", mountPath: "/shared" }, { name: "ram", mountPath: "/ram" }] }),
      shContainer("reader", trapped(), { resources: { limits: { cpu: "500m", memory: "64Mi" } }, volumeMounts: [{ name: "shared", mountPath: "/in" }, { name: "info", mountPath: "/etc/podinfo" }] }),
    ],
  });
  let podDir = "";
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "vols");
    podDir = join(k.rootDir, "pods", p.metadata.uid!);
    const reader = bareId(statusOf(p, "reader"));
    assert.is((await execIn(reader, ["cat", "/etc/podinfo/name"])).stdout, k.podName("vols"));
    assert.is((await execIn(reader, ["cat", "/etc/podinfo/cpu_limit"])).stdout, "500");
    assert.match((await execIn(reader, ["cat", "/etc/hosts"])).stdout, /^# Kubernetes-managed hosts file\./);
    const writer = bareId(statusOf(p, "writer"));
    assert.match((await execIn(writer, ["grep", " /ram ", "/proc/mounts"])).stdout, /^tmpfs \/ram tmpfs .*size=16384k/);
    assert.ok(mountsUnder(podDir).some((m) => m.fsType === "tmpfs"));
  });
  assert.equal(mountsUnder(podDir), []);
  assert.ok(!existsSync(podDir), "pod dir left behind");
});

test("a hostPath of the wrong type keeps the pod ContainerCreating with FailedMount until it is fixed", async () => {
  const path = join(k.dir, "host-dir");
  writeFileSync(path, "not a dir");
  const pod = podManifest("badhost", {
    volumes: [{ name: "h", hostPath: { path, type: "Directory" } }],
    containers: [shContainer("app", trapped(), { volumeMounts: [{ name: "h", mountPath: "/h" }] })],
  });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "badhost", "ContainerCreating", (x) => statusOf(x, "app")?.state.waiting?.reason === "ContainerCreating");
    assert.is(p.status?.phase, "Pending");
    const want = `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${path} is not a directory`;
    assert.ok(eventMessages(k, "FailedMount", `default/${k.podName("badhost")}`).includes(want), k.log.slice(-2000));
    rmSync(path);
    mkdirSync(path);
    await waitRunning(k, "badhost");
  });
});

test.run();
