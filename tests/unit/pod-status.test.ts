import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import type { PodRuntimeStatus, RuntimeContainer } from "../../kubelet/kuberuntime/podRuntimeStatus.ts";
import { generatePodStatus, type PodStatusInputs } from "../../kubelet/status/generatePodStatus.ts";

const NOW = "2026-11-22T10:00:00Z";
const inputs: PodStatusInputs = { now: NOW, qosClass: "BestEffort", hostIP: "192.0.2.1" };
const pod = (spec: Partial<Pod["spec"]> = {}): Pod => ({ metadata: { name: "p", namespace: "default", uid: "u1" }, spec: { containers: [{ name: "app", image: "busybox" }], ...spec } });
let seq = 0;
const ctr = (name: string, state: RuntimeContainer["state"], extra: Partial<RuntimeContainer> = {}): RuntimeContainer => ({
  id: `c${++seq}`, name, sandboxId: "sb1", restartCount: 0, hash: "h", state, createdAt: ++seq * 1000, startedAt: 1_700_000_000_000, finishedAt: 1_700_000_005_000,
  exitCode: 0, reason: "", message: "", image: "busybox", imageRef: "sha256:abc", ...extra,
});
const rt = (containers: RuntimeContainer[]): PodRuntimeStatus => ({
  uid: "u1", name: "p", namespace: "default", containers,
  sandboxes: [{ id: "sb1", attempt: 0, ready: true, createdAt: 1, ips: ["10.88.0.7"], hostNetwork: false }],
});
const cond = (s: ReturnType<typeof generatePodStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

test("a pod whose containers are not created yet is Pending with ContainerCreating", () => {
  const s = generatePodStatus(pod(), { ...rt([]), sandboxes: [] }, inputs);
  assert.is(s.phase, "Pending");
  assert.is(s.containerStatuses![0]!.state.waiting!.reason, "ContainerCreating");
  assert.is(cond(s, "Ready").status, "False");
  assert.is(cond(s, "Ready").reason, "ContainersNotReady");
  assert.is(cond(s, "Ready").message, "containers with unready status: [app]");
  assert.is(s.podIP, undefined);
});

test("a running container without probes is ready and started, the pod Running and Ready", () => {
  const s = generatePodStatus(pod(), rt([ctr("app", "running")]), inputs);
  assert.is(s.phase, "Running");
  const c = s.containerStatuses![0]!;
  assert.ok(c.state.running);
  assert.is(c.ready, true);
  assert.is(c.started, true);
  assert.match(c.containerID!, /^containerd:\/\/c/);
  assert.is(c.imageID, "sha256:abc");
  assert.equal(s.conditions!.map((x) => [x.type, x.status]), [["Initialized", "True"], ["Ready", "True"], ["ContainersReady", "True"], ["PodScheduled", "True"]]);
  assert.is(s.podIP, "10.88.0.7");
  assert.equal(s.podIPs, [{ ip: "10.88.0.7" }]);
  assert.is(s.qosClass, "BestEffort");
});

test("readiness probe verdict false keeps a running container unready", () => {
  const s = generatePodStatus(pod(), rt([ctr("app", "running")]), { ...inputs, probes: () => ({ ready: false }) });
  assert.is(s.containerStatuses![0]!.ready, false);
  assert.is(cond(s, "ContainersReady").status, "False");
});

test("a crash-looping container shows CrashLoopBackOff waiting with the last termination", () => {
  const errors = new Map([["app", { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container=app pod=p_default(u1)" }]]);
  const s = generatePodStatus(pod(), rt([ctr("app", "exited", { exitCode: 1, restartCount: 2 })]), { ...inputs, syncErrors: errors });
  const c = s.containerStatuses![0]!;
  assert.is(c.state.waiting!.reason, "CrashLoopBackOff");
  assert.is(c.lastState.terminated!.exitCode, 1);
  assert.is(c.lastState.terminated!.reason, "Error");
  assert.is(c.restartCount, 2);
  assert.is(s.phase, "Running");
});

test("after a restart the previous instance is the last termination state", () => {
  const s = generatePodStatus(pod(), rt([ctr("app", "exited", { exitCode: 137 }), ctr("app", "running", { restartCount: 1 })]), inputs);
  const c = s.containerStatuses![0]!;
  assert.ok(c.state.running);
  assert.is(c.lastState.terminated!.exitCode, 137);
  assert.is(c.restartCount, 1);
});

test("restartPolicy Never: phase Succeeded when all exit 0, Failed when one fails", () => {
  const ok = generatePodStatus(pod({ restartPolicy: "Never" }), rt([ctr("app", "exited", { exitCode: 0 })]), inputs);
  assert.is(ok.phase, "Succeeded");
  assert.is(ok.containerStatuses![0]!.state.terminated!.reason, "Completed");
  assert.is(cond(ok, "Ready").reason, "PodCompleted");
  const bad = generatePodStatus(pod({ restartPolicy: "Never" }), rt([ctr("app", "exited", { exitCode: 2 })]), inputs);
  assert.is(bad.phase, "Failed");
});

test("a pod with init containers is Pending with PodInitializing until they finish", () => {
  const p = pod({ initContainers: [{ name: "init", image: "busybox" }] });
  const s = generatePodStatus(p, rt([ctr("init", "running")]), inputs);
  assert.is(s.phase, "Pending");
  assert.is(s.containerStatuses![0]!.state.waiting!.reason, "PodInitializing");
  assert.is(cond(s, "Initialized").status, "False");
  assert.is(cond(s, "Initialized").reason, "ContainersNotInitialized");
  assert.is(cond(s, "Initialized").message, "containers with incomplete status: [init]");
  const done = generatePodStatus(p, rt([ctr("init", "exited"), ctr("app", "running")]), inputs);
  assert.is(done.phase, "Running");
  assert.is(done.initContainerStatuses![0]!.ready, true);
  assert.is(cond(done, "Initialized").status, "True");
});

test("a failed init container under restartPolicy Never fails the pod", () => {
  const s = generatePodStatus(pod({ restartPolicy: "Never", initContainers: [{ name: "init" }] }), rt([ctr("init", "exited", { exitCode: 1 })]), inputs);
  assert.is(s.phase, "Failed");
});

test("condition transition times are kept while the status does not change", () => {
  const first = generatePodStatus(pod(), rt([ctr("app", "running")]), { ...inputs, now: "2026-11-22T09:00:00Z" });
  const second = generatePodStatus(pod(), rt([ctr("app", "running")]), { ...inputs, previous: first });
  assert.is(cond(second, "Ready").lastTransitionTime, "2026-11-22T09:00:00Z");
  assert.is(second.startTime, "2026-11-22T09:00:00Z");
  const third = generatePodStatus(pod(), rt([ctr("app", "exited", { exitCode: 1 })]), { ...inputs, previous: second, probes: () => ({}) });
  assert.is(cond(third, "Ready").lastTransitionTime, NOW);
});

test("a pod-level failure sets phase Failed with its reason", () => {
  const s = generatePodStatus(pod(), rt([]), { ...inputs, podFailure: { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" } });
  assert.is(s.phase, "Failed");
  assert.is(s.reason, "DeadlineExceeded");
});

test("a pod refused at admission reports only phase, reason, 'Pod ' + message and startTime (upstream rejectPod)", () => {
  const s = generatePodStatus(pod(), rt([]), { ...inputs, podFailure: { reason: "OutOfcpu", message: "Node didn't have enough resource: cpu, requested: 9000, used: 0, capacity: 2000", rejectedAtAdmission: true } });
  assert.equal(s, { phase: "Failed", reason: "OutOfcpu", message: "Pod Node didn't have enough resource: cpu, requested: 9000, used: 0, capacity: 2000", startTime: NOW });
});

test("a terminal phase already reported stays, whatever the runtime shows now (upstream illegal phase transition)", () => {
  // e.g. a restarted kubelet whose Succeeded pod's containers were garbage-collected
  const s = generatePodStatus(pod({ restartPolicy: "Never" }), { ...rt([]), sandboxes: [] }, { ...inputs, previous: { phase: "Succeeded", startTime: NOW } });
  assert.is(s.phase, "Succeeded");
  assert.is(cond(s, "Ready").reason, "PodCompleted");
});

test.run();
