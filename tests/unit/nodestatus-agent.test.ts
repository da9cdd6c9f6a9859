import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Image, StatusResponse } from "../../bindings/cri/types.ts";
import type { EventRecorder } from "../../kubelet/events/recorder.ts";
import { silentLogger } from "../../kubelet/log.ts";
import { startNodeAgent } from "../../kubelet/nodestatus/nodeAgent.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import { FakeApiServer } from "./support/fakeApiServer.ts";
import { fakeClock } from "./support/fakeTime.ts";

function fakeCri() {
  const state = { up: true, images: [] as Image[] };
  const ok: StatusResponse = { status: { conditions: [{ type: "RuntimeReady", status: true, reason: "", message: "" }, { type: "NetworkReady", status: true, reason: "", message: "" }] }, info: {} };
  const cri = {
    endpoint: "unix:///fake.sock",
    async status() { if (!state.up) throw new Error("CRI Status: Unavailable: connection refused"); return ok; },
    async version() { if (!state.up) throw new Error("down"); return { version: "0.1.0", runtimeName: "containerd", runtimeVersion: "1.6.20", runtimeApiVersion: "v1" }; },
    async listImages() { return state.images; },
  } as unknown as Cri;
  return { cri, state };
}

function setup() {
  const api = new FakeApiServer();
  const { clock, advance } = fakeClock();
  const { cri, state } = fakeCri();
  const events: Array<{ kind: string; name: string; uid?: string; reason: string; message: string }> = [];
  const recorder: EventRecorder = { event: (s, _t, reason, message) => events.push({ kind: s.kind, name: s.name, uid: s.uid, reason, message }) };
  let pleg: string | undefined;
  const agent = startNodeAgent({
    api, nodeName: "n1", cri, clock, log: silentLogger, events: recorder, random: () => 0,
    facts: { hostname: "n1", internalIP: "10.0.0.5", machineID: "m", systemUUID: "s", bootID: "b", kernelVersion: "6.1", osImage: "Debian", operatingSystem: "linux", architecture: "amd64" },
    capacity: { cpuMilli: 2000, memoryBytes: 2 ** 33, ephemeralStorageBytes: 2 ** 35, pods: 110 },
    allocatable: { cpuMilli: 2000, memoryBytes: 2 ** 33 - 2 ** 27, ephemeralStorageBytes: 2 ** 35 - 2 ** 32, pods: 110 },
    config: { nodeStatusUpdateFrequencyMs: 10_000, nodeStatusReportFrequencyMs: 300_000, nodeLeaseDurationSeconds: 40, registerNode: true, registerWithTaints: [], port: 10250 },
    nodeLabels: { zone: "a" },
    healthy: () => pleg,
  });
  return { api, advance, agent, state, events, setPleg: (m: string | undefined) => (pleg = m) };
}

test("the agent announces itself, registers the node Ready and creates its lease", async () => {
  const s = setup();
  assert.equal(s.events[0], { kind: "Node", name: "n1", uid: "n1", reason: "Starting", message: "Starting kubelet." });
  await s.advance(1_000);
  const node = s.api.nodes.get("n1")!;
  assert.ok(s.agent.registered());
  assert.ok(s.agent.nodeReady());
  assert.is(node.status!.nodeInfo!.containerRuntimeVersion, "containerd://1.6.20");
  assert.is(node.status!.allocatable!.memory, "8064Mi");
  assert.is(node.metadata.labels!.zone, "a");
  assert.ok(s.api.leases.has("n1"));
  await s.agent.stop();
});

test("a runtime that stops answering makes the node NotReady after 30 s; PLEG trouble shows in the message", async () => {
  const s = setup();
  await s.advance(1_000);
  s.state.up = false;
  await s.advance(25_000);
  assert.ok(s.agent.nodeReady(), "still within the 30 s threshold");
  await s.advance(20_000);
  assert.not.ok(s.agent.nodeReady());
  const ready = s.api.nodes.get("n1")!.status!.conditions!.find((c) => c.type === "Ready")!;
  assert.is(ready.reason, "KubeletNotReady");
  assert.is(ready.message, "container runtime is down");
  assert.is(s.api.nodes.get("n1")!.status!.nodeInfo!.containerRuntimeVersion, "containerd://Unknown");
  assert.ok(s.events.some((e) => e.reason === "NodeNotReady"));
  s.state.up = true;
  s.setPleg("PLEG is not healthy: pleg was last seen active 3m1s ago; threshold is 3m0s");
  await s.advance(10_000);
  assert.is(s.api.nodes.get("n1")!.status!.conditions!.find((c) => c.type === "Ready")!.message, "PLEG is not healthy: pleg was last seen active 3m1s ago; threshold is 3m0s");
  s.setPleg(undefined);
  await s.advance(10_000);
  assert.ok(s.agent.nodeReady());
  assert.ok(s.events.some((e) => e.reason === "NodeReady"));
  await s.agent.stop();
});

test("after stop no more requests are made", async () => {
  const s = setup();
  await s.advance(1_000);
  await s.agent.stop();
  const n = s.api.requests.length;
  await s.advance(120_000);
  assert.is(s.api.requests.length, n);
});

test.run();
