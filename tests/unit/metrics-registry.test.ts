/**
 * The metrics registry's text format (HELP with the stability prefix, TYPE, series sorted by label
 * values, label escaping, cumulative buckets with +Inf, _sum and _count) and the Cri decorator's
 * counts of operations and errors by upstream's operation_type.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createKubeletMetrics, setRunningCounts } from "../../kubelet/metrics/kubeletMetrics.ts";
import { CRI_OPERATION_TYPES, InstrumentedCri } from "../../kubelet/metrics/instrumentedCri.ts";
import { exponentialBuckets, MetricsRegistry } from "../../kubelet/metrics/registry.ts";
import { CriError, type Cri } from "../../kubelet/ports/cri.ts";

test("counters and gauges render with HELP (stability prefix), TYPE, families by name and series by label values", () => {
  const r = new MetricsRegistry();
  const ops = r.counterVec({ name: "ops_total", help: "Operations.", stabilityLevel: "ALPHA" }, ["operation_type"]);
  const g = r.gauge({ name: "a_gauge", help: "Raw help\\with \nnewline" });
  r.counterVec({ name: "unused_total", help: "Never used.", stabilityLevel: "ALPHA" }, ["x"]);
  ops.labels("start_container").inc();
  ops.labels("create_container").add(2);
  ops.labels("start_container").inc();
  g.set(1_000_000);
  assert.is(r.render(), [
    "# HELP a_gauge Raw help\\\\with \\nnewline",
    "# TYPE a_gauge gauge",
    "a_gauge 1e+06",
    "# HELP ops_total [ALPHA] Operations.",
    "# TYPE ops_total counter",
    'ops_total{operation_type="create_container"} 2',
    'ops_total{operation_type="start_container"} 2',
    "",
  ].join("\n"));
});

test("label values are escaped and label pairs are sorted by name", () => {
  const r = new MetricsRegistry();
  const v = r.gaugeVec({ name: "g", help: "h" }, ["zeta", "alpha"]);
  v.labels('q"uote', "back\\slash\nnl").set(0.5);
  v.labels("a", "b").set(-1);
  assert.is(r.render(), [
    "# HELP g h",
    "# TYPE g gauge",
    'g{alpha="b",zeta="a"} -1',
    'g{alpha="back\\\\slash\\nnl",zeta="q\\"uote"} 0.5',
    "",
  ].join("\n"));
});

test("histograms: cumulative buckets, +Inf, _sum and _count; a plain histogram renders before any observation", () => {
  const r = new MetricsRegistry();
  const h = r.histogram({ name: "d_seconds", help: "Durations.", buckets: [0.1, 1, 10], stabilityLevel: "ALPHA" });
  const empty = [
    "# HELP d_seconds [ALPHA] Durations.",
    "# TYPE d_seconds histogram",
    'd_seconds_bucket{le="0.1"} 0',
    'd_seconds_bucket{le="1"} 0',
    'd_seconds_bucket{le="10"} 0',
    'd_seconds_bucket{le="+Inf"} 0',
    "d_seconds_sum 0",
    "d_seconds_count 0",
    "",
  ].join("\n");
  assert.is(r.render(), empty);
  for (const v of [0.05, 0.1, 0.5, 5, 50]) h.observe(v);
  assert.is(r.render(), [
    "# HELP d_seconds [ALPHA] Durations.",
    "# TYPE d_seconds histogram",
    'd_seconds_bucket{le="0.1"} 2',
    'd_seconds_bucket{le="1"} 3',
    'd_seconds_bucket{le="10"} 4',
    'd_seconds_bucket{le="+Inf"} 5',
    "d_seconds_sum 55.65",
    "d_seconds_count 5",
    "",
  ].join("\n"));
});

test("histogram vectors put le after the other labels", () => {
  const r = new MetricsRegistry();
  r.histogramVec({ name: "h", help: "x", buckets: [1] }, ["operation_type"]).labels("sync").observe(2);
  assert.is(r.render(), [
    "# HELP h x", "# TYPE h histogram",
    'h_bucket{operation_type="sync",le="1"} 0',
    'h_bucket{operation_type="sync",le="+Inf"} 1',
    'h_sum{operation_type="sync"} 2',
    'h_count{operation_type="sync"} 1',
    "",
  ].join("\n"));
});

test("upstream's runtime operation buckets are ExponentialBuckets(.005, 2.5, 14)", () => {
  const b = exponentialBuckets(0.005, 2.5, 14);
  assert.is(b.length, 14);
  assert.is(b[1], 0.0125);
  assert.is(b[13], 745.0580596923828);
  const m = createKubeletMetrics();
  m.runtimeOperationsDuration.labels("version").observe(0);
  assert.match(m.registry.render(), 'kubelet_runtime_operations_duration_seconds_bucket{operation_type="version",le="298.0232238769531"} 1');
});

test("registering a name twice, bad names and wrong label counts are errors", () => {
  const r = new MetricsRegistry();
  r.counter({ name: "x_total", help: "h" });
  assert.throws(() => r.counter({ name: "x_total", help: "h" }), /already registered/);
  assert.throws(() => r.gauge({ name: "bad-name", help: "h" }), /invalid metric name/);
  assert.throws(() => r.histogramVec({ name: "h", help: "h" }, ["le"]), /invalid label name/);
  assert.throws(() => r.counterVec({ name: "c", help: "h" }, ["a", "b"]).labels("only-one"), /expected 2 label values/);
  assert.throws(() => r.histogram({ name: "h2", help: "h", buckets: [1, 1] }), /increasing/);
});

test("scrape runs the collect hooks first; a failing hook does not fail the scrape", async () => {
  const r = new MetricsRegistry();
  const g = r.gauge({ name: "g", help: "h" });
  r.onCollect(() => g.set(7));
  r.onCollect(async () => { throw new Error("unreadable"); });
  assert.match(await r.scrape(), "\ng 7\n");
});

test("running pods count ready sandboxes; running containers are set for all four states", () => {
  const m = createKubeletMetrics();
  const ctr = (state: "running" | "exited") => ({ id: "c", name: "c", sandboxId: "s", restartCount: 0, hash: "", state, createdAt: 0, startedAt: 0, finishedAt: 0, exitCode: 0, reason: "", message: "", image: "", imageRef: "" });
  setRunningCounts(m, [
    { uid: "a", name: "a", namespace: "d", sandboxes: [{ id: "s", attempt: 0, ready: true, createdAt: 0, ips: [], hostNetwork: false }], containers: [ctr("running"), ctr("exited")] },
    { uid: "b", name: "b", namespace: "d", sandboxes: [{ id: "t", attempt: 0, ready: false, createdAt: 0, ips: [], hostNetwork: false }], containers: [ctr("exited")] },
  ]);
  const text = m.registry.render();
  assert.match(text, "\nkubelet_running_pods 1\n");
  assert.match(text, 'kubelet_running_containers{container_state="created"} 0\n');
  assert.match(text, 'kubelet_running_containers{container_state="exited"} 2\n');
  assert.match(text, 'kubelet_running_containers{container_state="running"} 1\n');
  assert.match(text, 'kubelet_running_containers{container_state="unknown"} 0\n');
});

/** The message a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a rejection");
}

/** A fake Cri: every method resolves after `delayMs` of fake time, or fails when named in `failing`. */
function fakeCri(time: { t: number }, failing: Set<string>, delayMs = 0): Cri {
  const fake: Record<string, unknown> = { endpoint: "fake://cri", close: () => {} };
  for (const method of Object.keys(CRI_OPERATION_TYPES)) {
    fake[method] = async () => {
      time.t += delayMs;
      if (failing.has(method)) throw new CriError("NotFound", method, "no such thing");
      return method === "runPodSandbox" ? "sb-1" : undefined;
    };
  }
  return fake as unknown as Cri;
}

test("the instrumented Cri counts every operation and its errors by upstream's operation_type, and times them", async () => {
  const time = { t: 0 };
  const m = createKubeletMetrics();
  const cri = new InstrumentedCri(fakeCri(time, new Set(["containerStatus"]), 20), m, () => time.t);
  assert.is(cri.endpoint, "fake://cri");
  assert.is(await cri.runPodSandbox({} as never, "runc"), "sb-1");
  await cri.createContainer("sb-1", {} as never, {} as never);
  await cri.startContainer("c1");
  await cri.listContainers();
  await cri.listContainers();
  await cri.pullImage({ image: "busybox" } as never);
  assert.match(await failure(cri.containerStatus("gone")), "NotFound");
  const text = m.registry.render();
  for (const [op, n] of [["run_podsandbox", 1], ["create_container", 1], ["start_container", 1], ["list_containers", 2], ["pull_image", 1], ["container_status", 1]] as const) {
    assert.match(text, `kubelet_runtime_operations_total{operation_type="${op}"} ${n}\n`);
  }
  assert.match(text, 'kubelet_runtime_operations_errors_total{operation_type="container_status"} 1\n');
  assert.not.match(text, 'kubelet_runtime_operations_errors_total{operation_type="list_containers"}');
  assert.match(text, 'kubelet_runtime_operations_duration_seconds_bucket{operation_type="list_containers",le="0.0125"} 0\n');
  assert.match(text, 'kubelet_runtime_operations_duration_seconds_bucket{operation_type="list_containers",le="0.03125"} 2\n');
  assert.match(text, 'kubelet_runtime_operations_duration_seconds_sum{operation_type="list_containers"} 0.04\n');
  assert.match(text, 'kubelet_run_podsandbox_duration_seconds_count{runtime_handler="runc"} 1\n');
  assert.not.match(text, "kubelet_run_podsandbox_errors_total{");
});

test("a failed run_podsandbox counts in kubelet_run_podsandbox_errors_total by runtime handler (default handler is \"\")", async () => {
  const time = { t: 0 };
  const m = createKubeletMetrics();
  const cri = new InstrumentedCri(fakeCri(time, new Set(["runPodSandbox"])), m, () => time.t);
  assert.match(await failure(cri.runPodSandbox({} as never)), "NotFound");
  const text = m.registry.render();
  assert.match(text, 'kubelet_run_podsandbox_errors_total{runtime_handler=""} 1\n');
  assert.match(text, 'kubelet_runtime_operations_errors_total{operation_type="run_podsandbox"} 1\n');
});

test.run();
