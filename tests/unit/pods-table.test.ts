import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerState, ContainerStatus, Pod, PodStatus } from "../../bindings/kube/types.ts";
import { formatPodsTable, humanDuration, podStatusSummary } from "../../kubelet/cli/podsTable.ts";

const NOW = Date.UTC(2021, 0, 10, 12, 0, 0);
const cs = (name: string, state: ContainerState, ready = false, restartCount = 0): ContainerStatus =>
  ({ name, state, lastState: {}, ready, restartCount, image: "x", imageID: "" });
const running = { running: { startedAt: "2021-01-10T11:00:00Z" } };
function pod(status: PodStatus, containers = 1, init = 0, meta: Partial<Pod["metadata"]> = {}): Pod {
  return {
    metadata: { name: "p", namespace: "default", creationTimestamp: "2021-01-10T11:59:55Z", ...meta },
    spec: {
      containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: "x" })),
      initContainers: Array.from({ length: init }, (_, i) => ({ name: `i${i}`, image: "x" })),
    },
    status,
  };
}
const statusOf = (p: Pod) => podStatusSummary(p).status;

test("a running, ready pod shows Running and counts ready containers", () => {
  const s = podStatusSummary(pod({ phase: "Running", containerStatuses: [cs("c0", running, true, 2), cs("c1", running, false, 1)] }, 2));
  assert.equal(s, { status: "Running", readyContainers: 1, totalContainers: 2, restarts: 3 });
});

test("a waiting container's reason wins: ContainerCreating, CrashLoopBackOff, ImagePullBackOff", () => {
  assert.is(statusOf(pod({ phase: "Pending", containerStatuses: [cs("c0", { waiting: { reason: "ContainerCreating" } })] })), "ContainerCreating");
  assert.is(statusOf(pod({ phase: "Running", containerStatuses: [cs("c0", { waiting: { reason: "CrashLoopBackOff" } }, false, 4)] })), "CrashLoopBackOff");
  assert.is(statusOf(pod({ phase: "Running", containerStatuses: [cs("c0", running, true), cs("c1", { waiting: { reason: "ImagePullBackOff" } })] }, 2)), "ImagePullBackOff");
});

test("terminated containers show their reason, or the exit code or signal without one", () => {
  assert.is(statusOf(pod({ phase: "Succeeded", containerStatuses: [cs("c0", { terminated: { exitCode: 0, reason: "Completed" } })] })), "Completed");
  assert.is(statusOf(pod({ phase: "Failed", containerStatuses: [cs("c0", { terminated: { exitCode: 1, reason: "Error" } })] })), "Error");
  assert.is(statusOf(pod({ phase: "Failed", containerStatuses: [cs("c0", { terminated: { exitCode: 137 } })] })), "ExitCode:137");
  assert.is(statusOf(pod({ phase: "Failed", containerStatuses: [cs("c0", { terminated: { exitCode: 0, signal: 9 } })] })), "Signal:9");
});

test("the first container's state wins when several are not running", () => {
  assert.is(statusOf(pod({ phase: "Running", containerStatuses: [cs("c0", { waiting: { reason: "CrashLoopBackOff" } }), cs("c1", { terminated: { exitCode: 1, reason: "Error" } })] }, 2)), "CrashLoopBackOff");
});

test("Completed with a container still running reads Running when the pod is Ready, else NotReady", () => {
  const statuses = [cs("c0", running, true), cs("c1", { terminated: { exitCode: 0, reason: "Completed" } })];
  assert.is(statusOf(pod({ phase: "Running", containerStatuses: statuses, conditions: [{ type: "Ready", status: "True" }] }, 2)), "Running");
  assert.is(statusOf(pod({ phase: "Running", containerStatuses: statuses, conditions: [{ type: "Ready", status: "False" }] }, 2)), "NotReady");
});

test("init containers: Init:N/M while running, Init:<reason> when failing, PodInitializing is not a failure", () => {
  const done = cs("i0", { terminated: { exitCode: 0, reason: "Completed" } });
  assert.is(statusOf(pod({ phase: "Pending", initContainerStatuses: [done, cs("i1", running)] }, 1, 2)), "Init:1/2");
  assert.is(statusOf(pod({ phase: "Pending", initContainerStatuses: [cs("i0", { waiting: { reason: "PodInitializing" } })] }, 1, 1)), "Init:0/1");
  assert.is(statusOf(pod({ phase: "Pending", initContainerStatuses: [cs("i0", { waiting: { reason: "CrashLoopBackOff" } }, false, 3)] }, 1, 1)), "Init:CrashLoopBackOff");
  assert.is(statusOf(pod({ phase: "Pending", initContainerStatuses: [cs("i0", { terminated: { exitCode: 2, reason: "Error" } })] }, 1, 1)), "Init:Error");
  assert.is(statusOf(pod({ phase: "Pending", initContainerStatuses: [cs("i0", { terminated: { exitCode: 2 } })] }, 1, 1)), "Init:ExitCode:2");
  const s = podStatusSummary(pod({ phase: "Pending", initContainerStatuses: [done], containerStatuses: [cs("c0", { waiting: { reason: "PodInitializing" } })] }, 1, 1));
  assert.is(s.status, "PodInitializing");
});

test("init container restarts count while initializing", () => {
  assert.is(podStatusSummary(pod({ phase: "Pending", initContainerStatuses: [cs("i0", { waiting: { reason: "CrashLoopBackOff" } }, false, 3)] }, 1, 1)).restarts, 3);
});

test("a pod with a deletion timestamp is Terminating; the pod's own reason beats its phase", () => {
  assert.is(statusOf(pod({ phase: "Running", containerStatuses: [cs("c0", running, true)] }, 1, 0, { deletionTimestamp: "2021-01-10T12:00:00Z" })), "Terminating");
  assert.is(statusOf(pod({ phase: "Failed", reason: "Evicted" })), "Evicted");
  assert.is(statusOf(pod({ phase: "Pending" })), "Pending");
});

test("ages print like kubectl: 5s, 3m2s, 10m, 150m, 4h30m, 10h, 3d4h, 12d, 2y30d", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  assert.is(humanDuration(5 * s), "5s");
  assert.is(humanDuration(119 * s), "119s");
  assert.is(humanDuration(3 * m + 2 * s), "3m2s");
  assert.is(humanDuration(5 * m), "5m");
  assert.is(humanDuration(10 * m + 30 * s), "10m");
  assert.is(humanDuration(2 * h + 30 * m), "150m");
  assert.is(humanDuration(4 * h + 30 * m), "4h30m");
  assert.is(humanDuration(4 * h), "4h");
  assert.is(humanDuration(10 * h + 5 * m), "10h");
  assert.is(humanDuration(3 * d + 4 * h), "3d4h");
  assert.is(humanDuration(12 * d), "12d");
  assert.is(humanDuration(365 * 2 * d + 30 * d), "2y30d");
  assert.is(humanDuration(-1500), "0s");
  assert.is(humanDuration(-5000), "<invalid>");
});

test("the table is aligned like kubectl's, sorted by name, with ages from creationTimestamp", () => {
  const web = pod({ phase: "Running", containerStatuses: [cs("c0", running, true, 1)] }, 1, 0, { name: "web-node1" });
  const db = pod({ phase: "Pending", containerStatuses: [cs("c0", { waiting: { reason: "ContainerCreating" } })] }, 1, 0, { name: "db-node1", creationTimestamp: "2021-01-10T11:57:00Z" });
  assert.is(formatPodsTable({ apiVersion: "v1", kind: "PodList", metadata: {}, items: [web, db] }, NOW),
    "NAME        READY   STATUS              RESTARTS   AGE\n" +
    "db-node1    0/1     ContainerCreating   0          3m\n" +
    "web-node1   1/1     Running             1          5s\n");
});

test("static pods without creationTimestamp age from the kubelet's first-seen time; unknown otherwise", () => {
  const seen = pod({ phase: "Running" }, 1, 0, { creationTimestamp: undefined, annotations: { "kubernetes.io/config.seen": "2021-01-10T10:59:59.5Z" } });
  assert.match(formatPodsTable([seen], NOW), /\s60m\n$/);
  assert.match(formatPodsTable([pod({ phase: "Running" }, 1, 0, { creationTimestamp: undefined })], NOW), /<unknown>\n$/);
});

test("-A adds a NAMESPACE column; an empty list says so", () => {
  const out = formatPodsTable([pod({ phase: "Running" }, 1, 0, { namespace: "kube-system" })], NOW, { allNamespaces: true });
  assert.ok(out.startsWith("NAMESPACE     NAME   READY   STATUS    RESTARTS   AGE\nkube-system   p      0/1     Running   0          5s\n"), out);
  assert.is(formatPodsTable([], NOW), "No resources found.\n");
});

test.run();
