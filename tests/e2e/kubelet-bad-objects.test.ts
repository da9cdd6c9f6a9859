/**
 * Bad objects from the API server 1.20.2: an invalid image name, an image that does not exist, a
 * volume this kubelet cannot mount, and a pod too big for the node — each explained in the pod's
 * status and events as upstream does, while a good pod next to them runs.
 */
import { cpus } from "node:os";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, eventsAbout, mustRequest, recordWatch, waitPod } from "./support/apiObjects.ts";
import { kubectl } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, READY_FILE_PROBE, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-bad" });
  ns = await createNamespace("bad");
  await k.start();
  // A good pod that must keep running whatever its neighbours do.
  await create("good", [shContainer("main", TRAPPING_SLEEPER, { readinessProbe: READY_FILE_PROBE })]);
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

async function create(name: string, containers: Pod["spec"]["containers"], extra: Partial<Pod["spec"]> = {}): Promise<Pod> {
  return mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, name, k.placement(), containers, { automountServiceAccountToken: false, ...extra }));
}

/** `kubectl get pod NAME` as [ready, status, restarts]. */
async function kubectlRow(name: string): Promise<string[]> {
  return (await kubectl(["-n", ns, "get", "pod", name, "--no-headers"])).trim().split(/\s+/).slice(1, 4);
}

const waitingReason = (p: Pod) => p.status?.containerStatuses?.[0]?.state.waiting?.reason;

/** Waits until the events about pod `name` include every reason in `reasons`. */
function waitEvents(name: string, reasons: string[]) {
  return eventually(`events ${reasons.join(", ")} about ${name}`, async () => {
    const evs = await eventsAbout(ns, "Pod", name);
    return reasons.every((r) => evs.some((e) => e.reason === r)) ? evs : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
}

async function goodPodUnaffected(): Promise<void> {
  const good = await waitPod(ns, "good", "Running and Ready", (p) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True", 30_000, () => k.output());
  assert.is(good.status!.containerStatuses![0]!.restartCount, 0, "the good pod never restarted");
}

test("an invalid image name: waiting InvalidImageName with upstream's message; InspectFailed and Failed events", async () => {
  const image = "UPPER/Case::bad";
  await create("badname", [{ name: "main", image }]);
  const pod = await waitPod(ns, "badname", "InvalidImageName", (p) => waitingReason(p) === "InvalidImageName", 30_000, () => k.output());
  const message = `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format: repository name must be lowercase`;
  assert.is(pod.status!.containerStatuses![0]!.state.waiting!.message, message);
  assert.is(pod.status!.phase, "Pending");
  assert.equal(await kubectlRow("badname"), ["0/1", "InvalidImageName", "0"]);
  const evs = await waitEvents("badname", ["InspectFailed", "Failed"]);
  assert.is(evs.find((e) => e.reason === "InspectFailed")!.message, message);
  assert.is(evs.find((e) => e.reason === "InspectFailed")!.type, "Warning");
  assert.ok(evs.some((e) => e.reason === "Failed" && e.message === "Error: InvalidImageName"), evs.map((e) => `${e.reason}: ${e.message}`).join("\n"));
  await goodPodUnaffected();
});

test("an image that does not exist: ErrImagePull, then ImagePullBackOff, with Pulling/Failed/BackOff events", async () => {
  const image = "127.0.0.1:5000/kts-does-not-exist:v1";
  // ErrImagePull lasts until the next sync finds the pull in back-off: record every status written.
  const watch = recordWatch<Pod>(`/api/v1/namespaces/${ns}/pods?fieldSelector=metadata.name%3Dnoimage`);
  await new Promise((r) => setTimeout(r, 300)); // the watch is established
  await create("noimage", [{ name: "main", image }]);
  const backoff = await waitPod(ns, "noimage", "ImagePullBackOff", (p) => waitingReason(p) === "ImagePullBackOff", 30_000, () => k.output());
  watch.stop();
  const reasons = watch.events.map((e) => waitingReason(e.object)).filter((r) => r !== undefined);
  const firstErr = reasons.indexOf("ErrImagePull");
  assert.ok(firstErr >= 0 && firstErr < reasons.indexOf("ImagePullBackOff"), `ErrImagePull, then ImagePullBackOff: ${reasons.join(",")}`);
  const pulled = watch.events.find((e) => waitingReason(e.object) === "ErrImagePull")!.object;
  assert.match(pulled.status!.containerStatuses![0]!.state.waiting!.message!, /^rpc error: code = NotFound desc = failed to pull and unpack image "127\.0\.0\.1:5000\/kts-does-not-exist:v1": .*not found$/);
  assert.is(backoff.status!.containerStatuses![0]!.state.waiting!.message, `Back-off pulling image "${image}"`);
  assert.equal(await kubectlRow("noimage"), ["0/1", "ImagePullBackOff", "0"]);
  const evs = await waitEvents("noimage", ["Pulling", "Failed", "BackOff"]);
  const messages = evs.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  assert.ok(messages.includes(`Normal Pulling: Pulling image "${image}"`), messages.join("\n"));
  assert.ok(messages.some((m) => m.startsWith(`Warning Failed: Failed to pull image "${image}": rpc error: code = NotFound`)), messages.join("\n"));
  assert.ok(messages.includes("Warning Failed: Error: ErrImagePull"), messages.join("\n"));
  assert.ok(messages.includes(`Normal BackOff: Back-off pulling image "${image}"`), messages.join("\n"));
  await eventually("an 'Error: ImagePullBackOff' event", async () => ((await eventsAbout(ns, "Pod", "noimage")).some((e) => e.reason === "Failed" && e.message === "Error: ImagePullBackOff") ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
  await goodPodUnaffected();
});

test("a volume this kubelet cannot mount (nfs to an unreachable server): FailedMount event, the pod stays ContainerCreating", async () => {
  await create("nfs", [shContainer("main", TRAPPING_SLEEPER, { volumeMounts: [{ name: "data", mountPath: "/data" }] })], {
    volumes: [{ name: "data", nfs: { server: "192.0.2.1", path: "/exports" } } as never],
  });
  const evs = await waitEvents("nfs", ["FailedMount"]);
  const failed = evs.find((e) => e.reason === "FailedMount")!;
  assert.is(failed.type, "Warning");
  assert.match(failed.message, /^MountVolume\.SetUp failed for volume "data" : /);
  // Retried: the same event is counted again, and the pod is still waiting for its volume.
  await eventually("FailedMount counted again", async () => ((await eventsAbout(ns, "Pod", "nfs")).find((e) => e.reason === "FailedMount")!.count > 1 ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
  const pod = await waitPod(ns, "nfs", "Pending", (p) => p.status?.phase === "Pending");
  assert.is(waitingReason(pod), "ContainerCreating");
  // Upstream's shape for a pod waiting for its volumes: no sandbox yet, so no pod IP.
  const st = pod.status!;
  assert.equal(st.conditions!.map((c) => [c.type, c.status, c.reason ?? ""]), [
    ["Initialized", "True", ""], ["Ready", "False", "ContainersNotReady"], ["ContainersReady", "False", "ContainersNotReady"], ["PodScheduled", "True", ""],
  ]);
  assert.ok(st.hostIP, "hostIP");
  assert.is(st.podIP, undefined);
  assert.is(st.qosClass, "BestEffort");
  const cs = st.containerStatuses![0]!;
  assert.equal(Object.keys(cs).sort(), ["image", "imageID", "lastState", "name", "ready", "restartCount", "started", "state"]);
  assert.equal([cs.imageID, cs.ready, cs.started, cs.restartCount], ["", false, false, 0]);
  assert.equal(await kubectlRow("nfs"), ["0/1", "ContainerCreating", "0"]);
  assert.ok(!(await k.containers()).some((c) => c.podUid === pod.metadata.uid), "no container created");
  await goodPodUnaffected();
});

test("a pod asking for more cpu than the node has (nodeName set, no scheduler): Failed, OutOfcpu, upstream's message and event", async () => {
  const capacity = cpus().length * 1000;
  const pod = await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "toobig", { nodeName: k.nodeName },
    [shContainer("main", TRAPPING_SLEEPER, { resources: { requests: { cpu: "100" } } })], { automountServiceAccountToken: false }));
  const failed = await waitPod(ns, "toobig", "Failed", (p) => p.status?.phase === "Failed", 30_000, () => k.output());
  const detail = `Node didn't have enough resource: cpu, requested: 100000, used: 0, capacity: ${capacity}`;
  assert.is(failed.status!.reason, "OutOfcpu");
  assert.is(failed.status!.message, `Pod ${detail}`);
  assert.match(failed.status!.startTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.is(failed.status!.containerStatuses, undefined, "a rejected pod has no container statuses (upstream rejectPod)");
  assert.equal((await kubectlRow("toobig")).slice(0, 2), ["0/1", "OutOfcpu"]);
  const evs = await waitEvents("toobig", ["OutOfcpu"]);
  assert.equal(evs.filter((e) => e.reason === "OutOfcpu").map((e) => [e.type, e.message]), [["Warning", detail]]);
  assert.ok(!(await k.containers()).some((c) => c.podUid === pod.metadata.uid), "nothing ran");
  // A rejected pod is Failed: it does not count as using the node's cpu (upstream filterOutTerminatedPods).
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "toobig2", { nodeName: k.nodeName },
    [shContainer("main", TRAPPING_SLEEPER, { resources: { requests: { cpu: "100" } } })], { automountServiceAccountToken: false }));
  const second = await waitPod(ns, "toobig2", "Failed", (p) => p.status?.phase === "Failed", 30_000, () => k.output());
  assert.is(second.status!.message, `Pod ${detail}`);
  await goodPodUnaffected();
});

test.run();
