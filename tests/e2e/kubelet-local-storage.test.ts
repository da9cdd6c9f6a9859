/**
 * Local storage limits (LocalStorageCapacityIsolation, on by default in 1.20) against kube-apiserver
 * 1.20.2 and containerd: a pod writing past its emptyDir's sizeLimit is evicted with upstream's
 * message, a pod within its limit keeps running.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, eventsAbout, getPod, mustRequest, waitPod } from "./support/apiObjects.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, shContainer } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-lsci" });
  ns = await createNamespace("lsci");
  await k.start();
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

/** A pod writing `mib` MiB into an emptyDir limited to 1Mi, then sleeping. */
const writer = (name: string, mib: number) => podObject(ns, name, k.placement(), [
  shContainer("main", `dd if=/dev/zero of=/scratch/fill bs=1M count=${mib} && trap 'exit 0' TERM && while true; do sleep 1; done`, {
    volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
  }),
], { automountServiceAccountToken: false, volumes: [{ name: "scratch", emptyDir: { sizeLimit: "1Mi" } }] });

test("an emptyDir written past its sizeLimit gets its pod evicted: Failed, Evicted, upstream's message and event", async () => {
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, writer("overflow", 4));
  const p = await waitPod(ns, "overflow", "Failed", (x) => x.status?.phase === "Failed", 60_000, () => k.output());
  assert.is(p.status!.reason, "Evicted");
  assert.is(p.status!.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  const ev = await eventually("Evicted event", async () => {
    const e = (await eventsAbout(ns, "Pod", "overflow")).filter((x) => x.reason === "Evicted");
    return e.length > 0 ? e : undefined;
  }, { timeoutMs: 20_000, intervalMs: 500 });
  assert.is(ev[0]!.message, p.status!.message);
});

test("a pod within its emptyDir sizeLimit keeps running", async () => {
  // 512 KiB in a 1Mi volume.
  const pod = writer("within", 0);
  pod.spec.containers[0]!.command = ["sh", "-c", "dd if=/dev/zero of=/scratch/fill bs=512k count=1 && trap 'exit 0' TERM && while true; do sleep 1; done"];
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, pod);
  await waitPod(ns, "within", "Running", (x) => x.status?.phase === "Running", 60_000, () => k.output());
  // Two eviction passes (10 s apart) see it and leave it alone.
  await new Promise((r) => setTimeout(r, 22_000));
  const now = await getPod(ns, "within");
  assert.is(now?.status?.phase, "Running");
});

test.run();
