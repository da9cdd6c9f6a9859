/**
 * kill -9 adoption: a kubelet that crashes and starts again on the same root dir adopts the pods
 * that kept running — no container is restarted, restart counts and init container results are
 * kept — and catches up with manifests added or removed while it was down.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import type { Pod } from "../../bindings/kube/types.ts";
import { BUSYBOX_IMAGE, closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";

/** One container instance as CRI reports it. */
interface Instance { id: string; name: string; state: string; startedAt: number; restartCount: string }

const test = suite("kubelet kill -9 and restart");
let k: KubeletProcess;
/** CRI instances per manifest name, taken just before the kill. */
const before = new Map<string, Instance[]>();
/** Restart counts per manifest name and container, from /pods just before the kill. */
const restartsBefore = new Map<string, Record<string, number>>();
const uids = new Map<string, string>();

test.before(async () => {
  k = await KubeletProcess.create("kts-restart");
  await k.start();
});
test.after(async () => {
  await k?.dispose();
  await closeTestCri();
});

const LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done";

function manifest(name: string, main: string, init?: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
${init ? `  initContainers:
    - name: init
      image: ${BUSYBOX_IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", ${JSON.stringify(init)}]
` : ""}  containers:
    - name: main
      image: ${BUSYBOX_IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", ${JSON.stringify(main)}]
`;
}

// The sandbox's /dev/shm is shared by the pod's containers and outlives them: the first instance
// of "crashy" leaves a mark there and fails, the second one finds it and runs.
const MANIFESTS: Record<string, string> = {
  steady: manifest("steady", LOOP),
  crashy: manifest("crashy", `if [ -f /dev/shm/crashed ]; then ${LOOP}; else touch /dev/shm/crashed; exit 1; fi`),
  inited: manifest("inited", LOOP, "echo init done"),
  doomed: manifest("doomed", LOOP),
  // busybox sh as PID 1 ignores SIGTERM: stopping it always takes the whole grace period.
  stubborn: manifest("stubborn", "while true; do sleep 1; done"),
};
const ADOPTED = ["steady", "crashy", "inited"];

const ready = (p: Pod | undefined) =>
  p?.status?.phase === "Running" && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True";

const restartCounts = (p: Pod) => Object.fromEntries((p.status?.containerStatuses ?? []).map((c) => [c.name, c.restartCount]));

async function instances(uid: string): Promise<Instance[]> {
  const cri = await testCri();
  const list = await cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": uid } });
  const out = await Promise.all(list.map(async (c) => {
    const st = (await cri.containerStatus(c.id)).status!;
    return { id: c.id, name: c.metadata!.name, state: c.state, startedAt: st.startedAt, restartCount: c.annotations["io.kubernetes.container.restartCount"] ?? "" };
  }));
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function runtimeHolds(uid: string): Promise<{ sandboxes: number; containers: number }> {
  const cri = await testCri();
  const [sb, ct] = await Promise.all([
    cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": uid } }),
    cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": uid } }),
  ]);
  return { sandboxes: sb.length, containers: ct.length };
}

test("four pods run, one restarted once after a crash, one after its init container", async () => {
  for (const [name, text] of Object.entries(MANIFESTS)) k.writeManifest(`${name}.yaml`, text);
  let last = "";
  await eventually("all pods Running and Ready, crashy restarted", async () => {
    const pods = await Promise.all(Object.keys(MANIFESTS).map((n) => k.pod(n)));
    last = pods.map((p) => `${p?.metadata.name}:${p?.status?.phase}:${JSON.stringify(p && restartCounts(p))}`).join(" ");
    if (!pods.every(ready)) return undefined;
    return restartCounts(pods[1]!).main! >= 1 ? true : undefined;
  }, { timeoutMs: 60_000, describe: () => last });
  for (const name of Object.keys(MANIFESTS)) {
    const p = (await k.pod(name))!;
    uids.set(name, p.metadata.uid!);
    restartsBefore.set(name, restartCounts(p));
  }
  for (const name of ADOPTED) before.set(name, await instances(uids.get(name)!));
  const crashy = before.get("crashy")!;
  assert.is(crashy.filter((c) => c.state === "CONTAINER_EXITED").length, 1, "the crashed instance is kept");
  assert.is(before.get("inited")!.filter((c) => c.name === "init").length, 1, "the init container ran once");
});

test("after kill -9, a removed manifest and an added one, the kubelet starts again", async () => {
  await k.stop("SIGKILL");
  k.removeManifest("doomed.yaml");
  k.removeManifest("stubborn.yaml");
  k.writeManifest("late.yaml", manifest("late", LOOP));
  await k.start();
});

test("adopted pods are Ready again with the restart counts they had", async () => {
  await eventually("adopted pods Ready", async () => {
    const pods = await Promise.all(ADOPTED.map((n) => k.pod(n)));
    return pods.every(ready) ? true : undefined;
  }, { timeoutMs: 30_000 });
  for (const name of ADOPTED) {
    const p = (await k.pod(name))!;
    assert.is(p.metadata.uid, uids.get(name), `${name} keeps its UID`);
    assert.equal(restartCounts(p), restartsBefore.get(name), `${name} restart counts`);
  }
  assert.ok(restartsBefore.get("crashy")!.main! >= 1);
});

test("a manifest added while the kubelet was down starts", async () => {
  const late = await eventually("late Running and Ready", async () => {
    const p = await k.pod("late");
    return ready(p) ? p : undefined;
  }, { timeoutMs: 30_000 });
  uids.set("late", late!.metadata.uid!);
});

test("a manifest removed while the kubelet was down is cleaned up", async () => {
  const uid = uids.get("doomed")!;
  let last = "";
  await eventually("runtime holds nothing of doomed", async () => {
    const held = await runtimeHolds(uid);
    last = JSON.stringify(held);
    return held.sandboxes === 0 && held.containers === 0 ? true : undefined;
  }, { timeoutMs: 30_000, describe: () => last });
  assert.is(await k.pod("doomed"), undefined, "doomed is not in /pods");
  await eventually("doomed pod dir removed", () => (existsSync(`${k.rootDir}/pods/${uid}`) ? undefined : true));
});

test("a removed pod is stopped with the grace period recorded on its containers (2 s), not the 30 s default", async () => {
  // The kubelet no longer has the spec; upstream restores grace period and preStop from annotations.
  const uid = uids.get("stubborn")!;
  const t0 = Date.now();
  let last = "";
  await eventually("runtime holds nothing of stubborn", async () => {
    const held = await runtimeHolds(uid);
    last = JSON.stringify(held);
    return held.sandboxes === 0 && held.containers === 0 ? true : undefined;
  }, { timeoutMs: 45_000, describe: () => last });
  const took = Date.now() - t0;
  assert.ok(took < 15_000, `stubborn took ${took} ms to go; its grace period is 2 s`);
});

test("no container was restarted: same CRI ids, states and startedAt; the init container did not run again", async () => {
  // By now the restarted kubelet has synced every pod (late started, doomed cleaned up).
  for (const name of ADOPTED) {
    const after = await instances(uids.get(name)!);
    assert.equal(after, before.get(name), `${name} containers unchanged`);
  }
  const inits = (await instances(uids.get("inited")!)).filter((c) => c.name === "init");
  assert.is(inits.length, 1);
  assert.is(inits[0]!.state, "CONTAINER_EXITED");
});

test("after a second kill -9 the kubelet still restarts nothing", async () => {
  await k.stop("SIGKILL");
  await k.start();
  await eventually("all pods Ready", async () => {
    const pods = await Promise.all([...ADOPTED, "late"].map((n) => k.pod(n)));
    return pods.every(ready) ? true : undefined;
  }, { timeoutMs: 30_000 });
  for (const name of ADOPTED) assert.equal(await instances(uids.get(name)!), before.get(name), `${name} containers unchanged`);
});

test("cleanup: removing every manifest leaves nothing in the runtime", async () => {
  for (const name of [...ADOPTED, "late"]) k.removeManifest(`${name}.yaml`);
  const all = [...uids.values()];
  await eventually("runtime empty for these pods", async () => {
    const held = await Promise.all(all.map(runtimeHolds));
    return held.every((h) => h.sandboxes === 0 && h.containers === 0) ? true : undefined;
  }, { timeoutMs: 60_000 });
});

test.run();
