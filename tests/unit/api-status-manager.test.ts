/** The cluster-mode status manager: what goes into pods/<name>/status (upstream mergePodStatus shapes). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod, PodCondition, PodStatus } from "../../bindings/kube/types.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { ApiRequest, ApiTransport } from "../../kubelet/ports/api.ts";
import { ApiStatusManager, mergePodStatus } from "../../kubelet/status/apiStatusManager.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";

function recordingApi(): ApiTransport & { sent: ApiRequest[] } {
  const sent: ApiRequest[] = [];
  return {
    server: "https://fake", sent,
    request: async <T>(req: ApiRequest) => (sent.push(req), { status: 200, body: {} as T }),
    watch: async () => undefined,
    close: () => undefined,
  };
}

const T0 = "2026-11-22T10:00:00Z";
const T1 = "2026-11-22T10:00:05Z";
const scheduled: PodCondition = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: T0 };
const mine = (extra: Partial<PodStatus> = {}): PodStatus => ({
  phase: "Running",
  conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: T1 })),
  qosClass: "BestEffort", startTime: T1, ...extra,
});

test("conditions the kubelet does not own stay (first); PodScheduled keeps the scheduler's transition time", () => {
  const gate: PodCondition = { type: "example.com/gate", status: "True", lastProbeTime: null, lastTransitionTime: T0 };
  const merged = mergePodStatus({ phase: "Pending", conditions: [scheduled, gate] }, mine());
  assert.equal(merged.conditions!.map((c) => [c.type, c.lastTransitionTime]), [
    ["example.com/gate", T0], ["Initialized", T1], ["Ready", T1], ["ContainersReady", T1], ["PodScheduled", T0],
  ]);
});

test("a condition whose status changed takes the kubelet's transition time", () => {
  const merged = mergePodStatus({ conditions: [{ type: "Ready", status: "False", lastTransitionTime: T0 }] }, mine());
  assert.is(merged.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime, T1);
});

test("the patch removes status fields the kubelet no longer reports (a rejected pod: phase, reason, message, startTime)", async () => {
  const api = recordingApi();
  const m = new ApiStatusManager(api, fakeClock().clock, silentLogger);
  const pod: Pod = { metadata: { name: "p", namespace: "ns", uid: "u1" }, spec: { containers: [] }, status: { phase: "Pending", qosClass: "Burstable", conditions: [scheduled] } };
  m.setStatus(pod, { phase: "Failed", reason: "OutOfcpu", message: "Pod Node didn't have enough resource: cpu", startTime: T1 });
  await settle();
  assert.is(api.sent.length, 1);
  assert.equal(api.sent[0]!.path, "/api/v1/namespaces/ns/pods/p/status");
  assert.equal(api.sent[0]!.body, {
    metadata: { uid: "u1" },
    status: { phase: "Failed", reason: "OutOfcpu", message: "Pod Node didn't have enough resource: cpu", startTime: T1, qosClass: null, conditions: null },
  });
});

test("a status someone else overwrote (the node lifecycle controller's Ready=False) is written again, at most every 10 s", async () => {
  const api = recordingApi();
  const t = fakeClock();
  const m = new ApiStatusManager(api, t.clock, silentLogger);
  const pod: Pod = { metadata: { name: "p", namespace: "ns", uid: "u1", resourceVersion: "5" }, spec: { containers: [] }, status: { phase: "Pending" } };
  m.setStatus(pod, mine());
  await settle();
  assert.is(api.sent.length, 1);
  const written = (api.sent[0]!.body as { status: PodStatus }).status;
  // The watch shows our own write: nothing to do.
  m.observe({ ...pod, status: written });
  await settle();
  assert.is(api.sent.length, 1);
  // The lifecycle controller marks the pod not ready: ours goes out again.
  const notReady = { ...written, conditions: written.conditions!.map((c) => (c.type === "Ready" ? { ...c, status: "False" as const } : c)) };
  m.observe({ ...pod, status: notReady });
  await settle();
  assert.is(api.sent.length, 2);
  assert.is((api.sent[1]!.body as { status: PodStatus }).status.conditions!.find((c) => c.type === "Ready")!.status, "True");
  // Overwritten again right away: the next write waits for the 10 s period.
  m.observe({ ...pod, status: notReady });
  await settle();
  assert.is(api.sent.length, 2);
  await t.advance(10_000);
  await settle();
  assert.is(api.sent.length, 3);
});

test.run();
