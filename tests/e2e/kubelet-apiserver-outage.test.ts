/**
 * kube-apiserver stopped for 60 s under a running kubelet-ts: its pods keep running, and once the
 * API server is back the kubelet resumes node status, the Lease, pod status writes and the pod
 * watch, restarting nothing. Only kube-apiserver is stopped; scripts/env/cluster-up.sh (idempotent)
 * starts it again. Afterwards kube-controller-manager is restarted too, so later tests get a healthy
 * control plane: after a lone API server restart its 1.20 token controller was seen taking over a
 * minute to give a new namespace's service account its token, and pods cannot be created until then.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { testCri } from "../integration/support/cri.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, getLease, mustRequest, waitNodeReady, waitPod } from "./support/apiObjects.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, READY_FILE_PROBE, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

const ENV = process.env.KTS_ENV ?? "/tmp/kts";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUTAGE_MS = 60_000;

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-outage" });
  ns = await createNamespace("outage");
  await k.start();
});

test.after(async () => {
  await clusterUp().catch(() => undefined); // never leave the API server down
  await stopComponent("kube-controller-manager").then(clusterUp).catch((err) => console.error(`restarting kube-controller-manager: ${(err as Error).message}`));
  await k.cleanup();
  await deleteNamespace(ns);
});

function clusterUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("bash", [`${ROOT}/scripts/env/cluster-up.sh`], { timeout: 180_000, env: { ...process.env, KTS_ENV: ENV } }, (err, _out, stderr) =>
      (err ? reject(new Error(`cluster-up.sh failed: ${stderr || err.message}`)) : resolve()));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops one control-plane process started by cluster-up.sh and waits until it is gone: SIGTERM,
 * then SIGKILL after 5 s (kube-apiserver's graceful shutdown waits for long-running requests to
 * time out, up to a minute).
 */
async function stopComponent(name: string): Promise<void> {
  const pid = Number(readFileSync(`${ENV}/pids/${name}.pid`, "utf8").trim());
  process.kill(pid, "SIGTERM");
  await eventually(`${name} to exit on SIGTERM`, () => (alive(pid) ? undefined : true), { timeoutMs: 5_000, intervalMs: 100 }).catch(() => process.kill(pid, "SIGKILL"));
  await eventually(`${name} to exit`, () => (alive(pid) ? undefined : true), { timeoutMs: 10_000, intervalMs: 100 });
}

const isReady = (p: Pod) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";

test("60 s without the API server: pods keep running; afterwards status, Lease and the pod watch resume and nothing restarted", async () => {
  const names = ["one", "two"];
  for (const n of names) {
    await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, n, k.placement(), [shContainer("main", TRAPPING_SLEEPER, { readinessProbe: READY_FILE_PROBE })], { automountServiceAccountToken: false }));
  }
  const before = new Map<string, Pod>();
  for (const n of names) before.set(n, await waitPod(ns, n, "Running and Ready", (p) => p.status?.phase === "Running" && isReady(p), 60_000, () => k.output()));
  const containersBefore = (await k.containers()).map((c) => c.id).sort();
  const renewedBefore = (await getLease(k.nodeName))!.spec!.renewTime!;

  await stopComponent("kube-apiserver");
  const downAt = Date.now();
  // The outage is the behaviour under test: it lasts 60 s whatever happens.
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  assert.ok(k.running(), `kubelet-ts kept running through the outage\n${k.output()}`);
  const during = await k.containers();
  assert.equal(during.map((c) => c.id).sort(), containersBefore, "no container created or removed during the outage");
  assert.ok(during.every((c) => c.state === "CONTAINER_RUNNING"), "all running");
  await clusterUp();
  const upAt = Date.now();
  assert.ok(upAt - downAt >= OUTAGE_MS);

  // The Lease is renewed again, twice (the renew loop runs, not one lucky retry).
  const first = await eventually("lease renewed after the outage", async () => {
    const l = await getLease(k.nodeName);
    return l && Date.parse(l.spec!.renewTime!) >= upAt - 1000 ? l.spec!.renewTime! : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, describe: () => k.output() });
  assert.ok(first > renewedBefore);
  await eventually("lease renewed again", async () => ((await getLease(k.nodeName))!.spec!.renewTime! > first ? true : undefined), { timeoutMs: 25_000, intervalMs: 500 });
  await waitNodeReady(k.nodeName, "True", 30_000, () => k.output());

  // Pods: same containers, no restarts, Ready in the API (whatever the lifecycle controller wrote meanwhile).
  for (const n of names) {
    const p = await waitPod(ns, n, "Ready after the outage", isReady, 30_000, () => k.output());
    assert.is(p.status!.containerStatuses![0]!.containerID, before.get(n)!.status!.containerStatuses![0]!.containerID);
    assert.is(p.status!.containerStatuses![0]!.restartCount, 0);
  }

  // A status change after the outage reaches the API server: readiness lost, then back.
  const cri = await testCri();
  const id = before.get("one")!.status!.containerStatuses![0]!.containerID!.replace("containerd://", "");
  await cri.execSync(id, ["rm", "/tmp/ready"], 10);
  const unready = await waitPod(ns, "one", "Ready=False after the readiness file went", (p) => !isReady(p), 30_000, () => k.output());
  assert.equal(unready.status!.conditions!.find((c) => c.type === "Ready")!.reason, "ContainersNotReady");
  await cri.execSync(id, ["touch", "/tmp/ready"], 10);
  await waitPod(ns, "one", "Ready again", isReady, 30_000, () => k.output());

  // The pod watch is back: a pod created now runs.
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "three", k.placement(), [shContainer("main", TRAPPING_SLEEPER)], { automountServiceAccountToken: false }));
  await waitPod(ns, "three", "Running", (p) => p.status?.phase === "Running", 30_000, () => k.output());
  const after = (await k.containers()).filter((c) => containersBefore.includes(c.id));
  assert.is(after.length, containersBefore.length, "the first pods' containers are still there");
  assert.ok(after.every((c) => c.state === "CONTAINER_RUNNING" && c.attempt === 0), "and still running, never restarted");
});

test.run();
