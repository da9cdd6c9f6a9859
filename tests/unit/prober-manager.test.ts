// ProberManager on core.wasm with a manual clock and a runner whose answers the test releases:
// results of a probe removed while it ran never reach the probe that reuses its id, events are
// worded as upstream's, stop() arms nothing again.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmProbeScheduler } from "../../bindings/core/probes.ts";
import type { Pod, Probe } from "../../bindings/kube/types.ts";
import type { PodRuntimeStatus } from "../../kubelet/kuberuntime/podRuntimeStatus.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import type { Net } from "../../kubelet/ports/net.ts";
import { ProberManager } from "../../kubelet/prober/proberManager.ts";
import { ProbeRunner, type ProbeRunResult, type ProbeTarget } from "../../kubelet/prober/probeRunner.ts";

const bytes = readFileSync(new URL("../../dist/core.wasm", import.meta.url));

/** A clock whose timers run only when the test advances time. */
class ManualClock implements Clock {
  t = 1_000_000;
  timers: { at: number; fn: () => void; live: boolean }[] = [];
  now = () => this.t;
  setTimer(ms: number, fn: () => void) {
    const timer = { at: this.t + Math.max(ms, 0), fn, live: true };
    this.timers.push(timer);
    return () => { timer.live = false; };
  }
  sleep = (ms: number) => new Promise<void>((r) => this.setTimer(ms, r));
  armed = () => this.timers.filter((x) => x.live).length;
  /** Advances to `t + ms`, running due timers in time order (and the microtasks they start). */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      next.live = false;
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

/** A runner whose calls wait until the test answers them. */
class HeldRunner extends ProbeRunner {
  calls: { target: ProbeTarget; answer: (r: ProbeRunResult) => void }[] = [];
  constructor() { super({} as Cri, {} as Net); }
  override run(_probe: Probe, target: ProbeTarget): Promise<ProbeRunResult> {
    return new Promise((answer) => this.calls.push({ target, answer }));
  }
}

const liveness: Probe = { exec: { command: ["check"] }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 };
const pod: Pod = { metadata: { name: "p", namespace: "default", uid: "u1" }, spec: { containers: [{ name: "c", image: "i", livenessProbe: liveness }] } } as Pod;

function runtime(containerId: string, startedAt: number): PodRuntimeStatus {
  return {
    uid: "u1", name: "p", namespace: "default",
    sandboxes: [{ id: "sb", attempt: 0, ready: true, createdAt: 0, ips: ["10.0.0.5"], hostNetwork: false }],
    containers: [{ id: containerId, name: "c", sandboxId: "sb", restartCount: 0, hash: "h", state: "running", createdAt: startedAt,
      startedAt, finishedAt: 0, exitCode: 0, reason: "", message: "", image: "i", imageRef: "i" }],
  };
}

async function setup() {
  const clock = new ManualClock();
  const core = await instantiateCore(bytes);
  // kubeletStartedAt long ago: no first-run jitter, the first run is due at once.
  const scheduler = new WasmProbeScheduler(core, { seed: 1, kubeletStartedAt: 0 });
  const runner = new HeldRunner();
  const events: string[] = [];
  const woken: string[] = [];
  const manager = new ProberManager(scheduler, runner, clock, { event: (_s, _t, reason, msg) => events.push(`${reason}: ${msg}`) },
    silentLogger, (uid) => woken.push(uid), { hostIP: "192.0.2.10" });
  return { clock, scheduler, runner, events, woken, manager };
}

test("a result of a probe removed while it ran does not land on the probe that reuses its id", async () => {
  const { clock, runner, events, woken, manager } = await setup();
  manager.syncPod(pod, runtime("old", clock.t));
  await clock.advance(0);
  assert.is(runner.calls.length, 1);
  assert.is(runner.calls[0]!.target.containerId, "old");
  // The container restarts while the probe runs: the old probe goes, a new one takes its id.
  manager.syncPod(pod, runtime("new", clock.t));
  runner.calls[0]!.answer({ outcome: "failure", message: "old container says no" });
  await clock.advance(0);
  assert.equal(events, [], "no event for the old container's result");
  assert.equal(woken, []);
  assert.is(manager.actionVerdict("u1", "c").livenessFailed, false);
  // The new container's own probe runs and is counted.
  const fresh = runner.calls.find((c) => c.target.containerId === "new")!;
  fresh.answer({ outcome: "failure", message: "new container says no" });
  await clock.advance(0);
  assert.equal(events, ["Unhealthy: Liveness probe failed: new container says no"]);
  assert.is(manager.actionVerdict("u1", "c").livenessFailed, true);
  assert.equal(woken, ["u1"]);
});

test("a probe that could not run says 'errored' and does not count toward the threshold", async () => {
  const { clock, runner, events, manager } = await setup();
  manager.syncPod(pod, runtime("c1", clock.t));
  await clock.advance(0);
  runner.calls[0]!.answer({ outcome: "error", message: "container not found" });
  await clock.advance(0);
  assert.equal(events, ["Unhealthy: Liveness probe errored: container not found"]);
  assert.is(manager.actionVerdict("u1", "c").livenessFailed, false, "failureThreshold 1, yet an error is not a failure");
});

test("hostNetwork pods are probed at the node's IP", async () => {
  const { clock, runner, manager } = await setup();
  const rt = runtime("c1", clock.t);
  rt.sandboxes[0] = { ...rt.sandboxes[0]!, ips: [], hostNetwork: true };
  manager.syncPod({ ...pod, spec: { ...pod.spec, hostNetwork: true } }, rt);
  await clock.advance(0);
  assert.is(runner.calls[0]!.target.podIP, "192.0.2.10");
});

test("onRunStart reports each run's lateness: a run held back by the concurrency cap starts late", async () => {
  const clock = new ManualClock();
  const scheduler = new WasmProbeScheduler(await instantiateCore(bytes), { seed: 1, kubeletStartedAt: 0 });
  const runner = new HeldRunner();
  const late: number[] = [];
  const manager = new ProberManager(scheduler, runner, clock, { event() {} }, silentLogger, () => {}, { maxConcurrent: 1, onRunStart: (ms) => late.push(ms) });
  const two: Pod = { ...pod, spec: { containers: [{ ...pod.spec.containers[0]!, readinessProbe: { ...liveness } }] } };
  manager.syncPod(two, runtime("c1", clock.t));
  await clock.advance(0);
  assert.equal(late, [0]);
  await clock.advance(300);
  runner.calls[0]!.answer({ outcome: "success", message: "" });
  await clock.advance(0);
  assert.equal(late, [0, 300], "the second probe waited 300 ms for the only slot");
});

test("stop() arms no timer again, also when results arrive afterwards", async () => {
  const { clock, runner, manager } = await setup();
  manager.syncPod(pod, runtime("c1", clock.t));
  await clock.advance(0);
  manager.stop();
  runner.calls[0]!.answer({ outcome: "success", message: "" });
  await clock.advance(5000);
  assert.is(clock.armed(), 0);
  assert.is(runner.calls.length, 1, "no probe ran after stop");
});

test.run();
