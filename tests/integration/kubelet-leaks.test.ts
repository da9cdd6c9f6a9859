/**
 * Leaks: 50 static pods written at once all run; once their manifests are removed nothing of them
 * is left — no sandbox or container in CRI, no pod cgroup, no mount, no pod or log directory.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../../bindings/kube/types.ts";
import { BUSYBOX_IMAGE, closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";

const PODS = 50;
const CGROUP_ROOT = "/sys/fs/cgroup";
const POD_LOGS_DIR = "/var/log/pods";

/** What a running pod is known by on the host: its UID, sandbox and container ids, netns path. */
interface Traces { uid: string; sandboxId: string; containerIds: string[]; netns: string }

const test = suite("kubelet leaks: 50 pods in, 50 pods out");
let k: KubeletProcess;
const traces: Traces[] = [];

test.before(async () => {
  k = await KubeletProcess.create("kts-leaks");
  await k.start();
});
test.after(async () => {
  await k?.dispose();
  await closeTestCri();
});

const name = (i: number) => `leak-${String(i).padStart(2, "0")}`;

const manifest = (n: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${n}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: ${BUSYBOX_IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

const running = (p: Pod) => p.status?.phase === "Running" && p.status.containerStatuses?.[0]?.state?.running !== undefined;

/** Every pod<uid> cgroup directory under any controller's kubepods tree whose uid is in `uids`. */
function podCgroups(uids: Set<string>): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (e.name.startsWith("pod") && uids.has(e.name.slice(3))) found.push(path);
      else if (depth < 2) walk(path, depth + 1);
    }
  };
  for (const controller of readdirSync(CGROUP_ROOT)) walk(join(CGROUP_ROOT, controller, "kubepods"), 0);
  return found;
}

/** The network namespace path containerd bind-mounted for a sandbox (from verbose status). */
async function netnsOf(sandboxId: string): Promise<string> {
  const cri = await testCri();
  const info = (await cri.podSandboxStatus(sandboxId, true)).info?.info;
  if (!info) return "";
  const spec = JSON.parse(info) as { runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } } };
  return spec.runtimeSpec?.linux?.namespaces?.find((n) => n.type === "network")?.path ?? "";
}

test(`${PODS} manifests written at once all reach Running`, async () => {
  for (let i = 0; i < PODS; i++) k.writeManifest(`${name(i)}.yaml`, manifest(name(i)));
  let last = "";
  const pods = await eventually(`${PODS} pods Running`, async () => {
    const all = (await k.pods()).filter((p) => p.metadata.name!.startsWith("leak-"));
    last = `${all.filter(running).length}/${all.length} running`;
    return all.length === PODS && all.every(running) ? all : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, describe: () => last });
  const cri = await testCri();
  for (const p of pods) {
    const uid = p.metadata.uid!;
    const [sandboxes, containers] = await Promise.all([
      cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": uid } }),
      cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": uid } }),
    ]);
    assert.is(sandboxes.length, 1, `${p.metadata.name}: one sandbox`);
    assert.is(containers.length, 1, `${p.metadata.name}: one container`);
    traces.push({ uid, sandboxId: sandboxes[0]!.id, containerIds: containers.map((c) => c.id), netns: await netnsOf(sandboxes[0]!.id) });
  }
  const uids = new Set(traces.map((t) => t.uid));
  assert.is(podCgroups(uids).length > 0, true, "pod cgroups exist while running (the cgroup check below is meaningful)");
  assert.ok(traces.every((t) => t.netns !== ""), "every sandbox has a netns path");
  const mounts = readFileSync("/proc/self/mounts", "utf8");
  assert.ok(traces.every((t) => mounts.includes(t.sandboxId)), "sandbox mounts are visible while running (the mount check below is meaningful)");
});

test("removing all manifests leaves no sandbox or container in CRI for this node", async () => {
  for (let i = 0; i < PODS; i++) k.removeManifest(`${name(i)}.yaml`);
  const cri = await testCri();
  const selector = { "io.kubelet-ts.managed": k.nodeName };
  let last = "";
  await eventually("runtime empty for this node", async () => {
    const [sb, ct] = await Promise.all([cri.listPodSandbox({ labelSelector: selector }), cri.listContainers({ labelSelector: selector })]);
    last = `${sb.length} sandboxes, ${ct.length} containers left`;
    return sb.length === 0 && ct.length === 0 ? true : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250, describe: () => last });
  await eventually("/pods empty", async () => ((await k.pods()).length === 0 ? true : undefined));
  // Ids are unique: check the runtime as a whole too (a sandbox that lost its labels would slip by).
  const [sb, ct] = await Promise.all([cri.listPodSandbox(), cri.listContainers()]);
  const ids = new Set(traces.flatMap((t) => [t.sandboxId, ...t.containerIds]));
  assert.equal(sb.filter((s) => ids.has(s.id)).map((s) => s.id), []);
  assert.equal(ct.filter((c) => ids.has(c.id)).map((c) => c.id), []);
});

test("no pod cgroup is left under any controller's kubepods tree", async () => {
  const uids = new Set(traces.map((t) => t.uid));
  let left: string[] = [];
  await eventually("pod cgroups removed", () => ((left = podCgroups(uids)).length === 0 ? true : undefined), {
    timeoutMs: 10_000, describe: () => `${left.length} left, e.g. ${left.slice(0, 3).join(", ")}`,
  });
});

test("no mount mentions a removed pod's sandbox, containers, UID or netns", async () => {
  const needles = traces.flatMap((t) => [t.uid, t.sandboxId, ...t.containerIds, t.netns]).filter((s) => s !== "");
  let left: string[] = [];
  await eventually("mounts gone", () => {
    left = readFileSync("/proc/self/mounts", "utf8").split("\n").filter((line) => needles.some((n) => line.includes(n)));
    return left.length === 0 ? true : undefined;
  }, { timeoutMs: 10_000, describe: () => `${left.length} left, e.g. ${left.slice(0, 3).join(" | ")}` });
});

test("no pod directory under the root dir and no log directory under /var/log/pods", async () => {
  const uids = new Set(traces.map((t) => t.uid));
  const podDirs = existsSync(join(k.rootDir, "pods")) ? readdirSync(join(k.rootDir, "pods")) : [];
  assert.equal(podDirs.filter((d) => uids.has(d)), [], "pod dirs left");
  const logDirs = existsSync(POD_LOGS_DIR) ? readdirSync(POD_LOGS_DIR) : [];
  assert.equal(logDirs.filter((d) => uids.has(d.slice(d.lastIndexOf("_") + 1))), [], "log dirs left");
});

test.run();
