import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { computePodActions, type ActionContext } from "../../kubelet/kuberuntime/computePodActions.ts";
import type { PodRuntimeStatus, RuntimeContainer } from "../../kubelet/kuberuntime/podRuntimeStatus.ts";

const ctx: ActionContext = { hash: (c) => `h-${c.name}`, probe: () => ({}) };
const pod = (spec: Partial<Pod["spec"]> = {}): Pod => ({ metadata: { name: "p", namespace: "default", uid: "u1" }, spec: { containers: [{ name: "app", image: "busybox" }], ...spec } });
const sandbox = { id: "sb1", attempt: 0, ready: true, createdAt: 1, ips: ["10.88.0.2"], hostNetwork: false };
let seq = 0;
const ctr = (name: string, state: RuntimeContainer["state"], extra: Partial<RuntimeContainer> = {}): RuntimeContainer => ({
  id: `c${++seq}`, name, sandboxId: "sb1", restartCount: 0, hash: `h-${name}`, state, createdAt: ++seq, startedAt: seq, finishedAt: 0,
  exitCode: 0, reason: "", message: "", image: "busybox", imageRef: "sha256:x", ...extra,
});
const rt = (containers: RuntimeContainer[], sandboxes = [sandbox]): PodRuntimeStatus => ({ uid: "u1", name: "p", namespace: "default", sandboxes, containers });

test("a new pod gets a sandbox and all its containers", () => {
  const a = computePodActions(pod({ containers: [{ name: "a" }, { name: "b" }] }), rt([], []), ctx);
  assert.is(a.createSandbox, true);
  assert.is(a.killPod, false);
  assert.is(a.attempt, 0);
  assert.equal(a.containersToStart, [0, 1]);
});

test("a new pod with init containers starts only the first init container", () => {
  const a = computePodActions(pod({ initContainers: [{ name: "i1" }, { name: "i2" }] }), rt([], []), ctx);
  assert.is(a.createSandbox, true);
  assert.equal(a.initContainersToStart, [0]);
  assert.equal(a.containersToStart, []);
});

test("init containers run one after another once each exits 0", () => {
  const p = pod({ initContainers: [{ name: "i1" }, { name: "i2" }] });
  assert.equal(computePodActions(p, rt([ctr("i1", "running")]), ctx).initContainersToStart, []);
  const a = computePodActions(p, rt([ctr("i1", "exited", { exitCode: 0 })]), ctx);
  assert.equal(a.initContainersToStart, [1]);
  const b = computePodActions(p, rt([ctr("i1", "exited"), ctr("i2", "exited")]), ctx);
  assert.equal(b.containersToStart, [0]);
});

test("a failed init container is restarted unless restartPolicy is Never, which kills the pod", () => {
  const status = rt([ctr("i1", "exited", { exitCode: 1 })]);
  assert.equal(computePodActions(pod({ initContainers: [{ name: "i1" }] }), status, ctx).initContainersToStart, [0]);
  const never = computePodActions(pod({ restartPolicy: "Never", initContainers: [{ name: "i1" }] }), status, ctx);
  assert.is(never.killPod, true);
  assert.equal(never.initContainersToStart, []);
});

test("a sidecar must be running before the next init container starts, and app containers start after", () => {
  const p = pod({ initContainers: [{ name: "side", restartPolicy: "Always" }, { name: "i2" }] });
  assert.equal(computePodActions(p, rt([]), ctx).initContainersToStart, [0]);
  assert.equal(computePodActions(p, rt([ctr("side", "running")]), ctx).initContainersToStart, [1]);
  const a = computePodActions(p, rt([ctr("side", "running"), ctr("i2", "exited")]), ctx);
  assert.equal(a.containersToStart, [0]);
});

test("an exited sidecar is restarted even when the pod's restartPolicy is Never", () => {
  const p = pod({ restartPolicy: "Never", initContainers: [{ name: "side", restartPolicy: "Always" }] });
  const a = computePodActions(p, rt([ctr("side", "exited", { exitCode: 1 }), ctr("app", "running")]), ctx);
  assert.equal(a.initContainersToStart, [0]);
});

test("restartPolicy Always restarts an exited container whatever its exit code", () => {
  assert.equal(computePodActions(pod(), rt([ctr("app", "exited", { exitCode: 0 })]), ctx).containersToStart, [0]);
});

test("restartPolicy OnFailure restarts only non-zero exits; all succeeded kills the pod", () => {
  assert.equal(computePodActions(pod({ restartPolicy: "OnFailure" }), rt([ctr("app", "exited", { exitCode: 3 })]), ctx).containersToStart, [0]);
  const done = computePodActions(pod({ restartPolicy: "OnFailure" }), rt([ctr("app", "exited", { exitCode: 0 })]), ctx);
  assert.equal(done.containersToStart, []);
  assert.is(done.killPod, true);
});

test("restartPolicy Never does not restart and stops the sandbox when all containers ended", () => {
  const a = computePodActions(pod({ restartPolicy: "Never" }), rt([ctr("app", "exited", { exitCode: 1 })]), ctx);
  assert.equal(a.containersToStart, []);
  assert.is(a.killPod, true);
});

test("a finished Never pod whose sandbox is stopped gets no new sandbox", () => {
  const a = computePodActions(pod({ restartPolicy: "Never" }), rt([ctr("app", "exited")], [{ ...sandbox, ready: false }]), ctx);
  assert.is(a.createSandbox, false);
  assert.is(a.killPod, false);
});

test("a dead sandbox is re-created with the next attempt and the old one killed", () => {
  const a = computePodActions(pod(), rt([ctr("app", "running")], [{ ...sandbox, ready: false, attempt: 2 }]), ctx);
  assert.is(a.createSandbox, true);
  assert.is(a.killPod, true);
  assert.is(a.attempt, 3);
  assert.equal(a.containersToStart, [0]);
});

test("a running container whose liveness probe failed is killed and restarted", () => {
  const running = ctr("app", "running");
  const a = computePodActions(pod(), rt([running]), { ...ctx, probe: () => ({ livenessFailed: true }) });
  assert.equal(a.containersToKill.map((k) => k.id), [running.id]);
  assert.match(a.containersToKill[0]!.message, /failed liveness probe, will be restarted/);
  assert.equal(a.containersToStart, [0]);
  assert.is(a.killPod, false);
});

test("a running container whose spec hash changed is restarted", () => {
  const a = computePodActions(pod(), rt([ctr("app", "running", { hash: "old" })]), ctx);
  assert.is(a.containersToKill.length, 1);
  assert.equal(a.containersToStart, [0]);
});

test("a healthy running pod needs no action", () => {
  const a = computePodActions(pod(), rt([ctr("app", "running")]), ctx);
  assert.equal(a, { killPod: false, createSandbox: false, sandboxId: "sb1", attempt: 0, initContainersToStart: [], containersToStart: [], containersToKill: [] });
});

test("a succeeded OnFailure pod with init containers gets no new sandbox once its sandbox is gone", () => {
  const p = pod({ restartPolicy: "OnFailure", initContainers: [{ name: "i1" }] });
  const stopped = { ...sandbox, ready: false };
  const a = computePodActions(p, rt([ctr("i1", "exited"), ctr("app", "exited")], [stopped]), ctx);
  assert.is(a.createSandbox, false);
  assert.equal(a.initContainersToStart, []);
  const failedApp = computePodActions(p, rt([ctr("i1", "exited"), ctr("app", "exited", { exitCode: 1 })], [stopped]), ctx);
  assert.is(failedApp.createSandbox, true, "a failed app container still gets a new sandbox");
  assert.equal(failedApp.initContainersToStart, [0]);
});

test("a probe-caused kill names its probe; a spec change names none", () => {
  const liveness = computePodActions(pod(), rt([ctr("app", "running")]), { ...ctx, probe: () => ({ livenessFailed: true }) });
  assert.is(liveness.containersToKill[0]!.probe, "livenessProbe");
  const startup = computePodActions(pod(), rt([ctr("app", "running")]), { ...ctx, probe: () => ({ startupFailed: true }) });
  assert.is(startup.containersToKill[0]!.probe, "startupProbe");
  const spec = computePodActions(pod(), rt([ctr("app", "running", { hash: "old" })]), ctx);
  assert.is(spec.containersToKill[0]!.probe, undefined);
});

test.run();
