import { test } from "uvu";
import * as assert from "uvu/assert";
import { ApiError } from "../../kubelet/ports/api.ts";
import { silentLogger } from "../../kubelet/log.ts";
import { initialNode } from "../../kubelet/nodestatus/nodeObject.ts";
import { NodeStatusSync } from "../../kubelet/nodestatus/nodeStatusSync.ts";
import { isNodeReady, type NodeStatusInputs } from "../../kubelet/nodestatus/setters.ts";
import { FakeApiServer } from "./support/fakeApiServer.ts";
import { fakeClock } from "./support/fakeTime.ts";

function setup(opts: { readyErrors?: () => string[] } = {}) {
  const api = new FakeApiServer();
  const { clock, advance } = fakeClock();
  const events: string[] = [];
  let heartbeatFailures = 0;
  const inputs = async (): Promise<NodeStatusInputs> => ({
    nodeName: "n1",
    facts: { hostname: "n1", internalIP: "10.1.1.1", machineID: "m", systemUUID: "s", bootID: "b", kernelVersion: "k", osImage: "os", operatingSystem: "linux", architecture: "amd64" },
    capacity: { cpuMilli: 2000, memoryBytes: 2 ** 33, ephemeralStorageBytes: 2 ** 34, pods: 110 },
    allocatable: { cpuMilli: 2000, memoryBytes: 2 ** 33 - 2 ** 27, ephemeralStorageBytes: 2 ** 34, pods: 110 },
    containerRuntimeVersion: "containerd://1.6.20", kubeletVersion: "v1.20.2", kubeletPort: 10250, images: [],
    readyErrors: opts.readyErrors?.() ?? [], pressure: { memory: false, disk: false, pid: false },
  });
  const sync = new NodeStatusSync({
    api, nodeName: "n1", clock, log: silentLogger, record: (_t, reason) => events.push(reason),
    initialNode: () => initialNode({ nodeName: "n1", hostname: "n1", operatingSystem: "linux", architecture: "amd64", nodeLabels: { role: "w" } }),
    inputs, reportFrequencyMs: 5 * 60_000, onRepeatedHeartbeatFailure: () => heartbeatFailures++,
  });
  return { api, clock, advance, sync, events, heartbeatFailures: () => heartbeatFailures };
}

/** Runs `sync.sync()` while advancing simulated time until it settles. */
async function round(s: ReturnType<typeof setup>): Promise<void> {
  let done = false;
  const p = s.sync.sync().then(() => { done = true; });
  for (let i = 0; i < 200 && !done; i++) await s.advance(100);
  await p;
}

test("registers with POST (status included); the first update reads the node back and sends only differences", async () => {
  const s = setup();
  await round(s);
  assert.equal(s.api.calls(), ["POST /api/v1/nodes", "GET /api/v1/nodes/n1"], "same second, nothing changed: nothing to patch");
  assert.equal(s.api.requests[1]!.query, { resourceVersion: "0" });
  await s.advance(5 * 60_000);
  await round(s);
  assert.equal(s.api.calls().slice(2), ["GET /api/v1/nodes/n1", "PATCH /api/v1/nodes/n1/status"]);
  assert.is(s.api.requests[3]!.contentType, "application/strategic-merge-patch+json");
  const node = s.api.nodes.get("n1")!;
  assert.ok(isNodeReady(node));
  assert.is(node.metadata.labels!.role, "w");
  assert.is(node.status!.capacity!.memory, "8Gi");
  assert.ok(s.sync.isRegistered());
  assert.equal(s.events, ["NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"]);
});

test("unchanged status is not sent until nodeStatusReportFrequency passes; a change is sent at once", async () => {
  let errors: string[] = [];
  const s = setup({ readyErrors: () => errors });
  await round(s);
  const patches = () => s.api.calls(/PATCH/).length;
  assert.is(patches(), 0);
  for (let i = 0; i < 5; i++) {
    await s.advance(10_000);
    await round(s);
  }
  assert.is(patches(), 0, "heartbeat-only changes wait for the report frequency");
  errors = ["container runtime is down"];
  await round(s);
  assert.is(patches(), 1);
  assert.not.ok(isNodeReady(s.api.nodes.get("n1")));
  assert.ok(s.events.includes("NodeNotReady"));
  await s.advance(5 * 60_000);
  await round(s);
  assert.is(patches(), 2, "a report is due after 5 minutes even without a change");
});

test("an existing node is reconciled (default labels back) instead of failing registration", async () => {
  const s = setup();
  s.api.nodes.set("n1", { metadata: { name: "n1", uid: "old-uid", resourceVersion: "1", labels: { "kubernetes.io/hostname": "stale" } }, status: {} });
  await round(s);
  const calls = s.api.calls();
  assert.equal(calls, ["POST /api/v1/nodes", "GET /api/v1/nodes/n1", "PATCH /api/v1/nodes/n1/status", "GET /api/v1/nodes/n1", "PATCH /api/v1/nodes/n1/status"]);
  assert.equal(s.api.requests[2]!.body, { metadata: { annotations: { "volumes.kubernetes.io/controller-managed-attach-detach": "true" }, labels: { "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64" } } });
  const node = s.api.nodes.get("n1")!;
  assert.is(node.metadata.uid, "old-uid");
  assert.is(node.metadata.labels!["kubernetes.io/hostname"], "n1");
  assert.ok(isNodeReady(node));
});

test("registration retries with backoff while the server fails; status updates retry 5 times", async () => {
  const s = setup();
  s.api.down = true;
  let done = false;
  const p = s.sync.sync().then(() => { done = true; });
  await s.advance(5_000);
  assert.not.ok(done);
  const tries = s.api.calls(/POST/).length;
  assert.ok(tries >= 4 && tries <= 7, `backoff 100 ms doubling: ${tries} tries in 5 s`);
  s.api.down = false;
  await s.advance(8_000);
  await p;
  assert.ok(s.sync.isRegistered());

  const before = s.api.requests.length;
  s.api.failNext(/^GET \/api\/v1\/nodes\/n1$/, () => new ApiError(500, "InternalError", undefined, "GET"), 2);
  await round(s);
  assert.equal(s.api.calls().slice(before).filter((c) => c.startsWith("GET")).length, 3);
  assert.is(s.heartbeatFailures(), 1);
  s.api.failNext(/^GET/, () => new Error("down"), 5);
  await round(s); // gives up after 5 tries, logs, and the next round tries again
  assert.is(s.heartbeatFailures(), 5);
});

test.run();
