/**
 * /metrics/resource and /stats/summary served from a fake stats source: Prometheus text as Go's
 * client writes it (names, HELP/TYPE, sorted label pairs, escaping, %g values, timestamps), the
 * Summary JSON and only_cpu_and_memory, and errors (scrape_error 1, 500 Internal Error).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Summary } from "../../bindings/kube/stats.ts";
import { formatGoFloat, renderPrometheusText } from "../../kubelet/metrics/prometheusText.ts";
import { renderResourceMetrics } from "../../kubelet/metrics/resourceMetrics.ts";
import { createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";
import type { StatsSource } from "../../kubelet/server/statsHandlers.ts";

const T = "2021-01-01T12:00:00Z";
const TMS = Date.parse(T);

function fakeSummary(): Summary {
  return {
    node: {
      nodeName: "n1", startTime: "2020-12-31T00:00:00Z",
      cpu: { time: T, usageNanoCores: 5e8, usageCoreNanoSeconds: 12_345_000_000_000 },
      memory: { time: T, workingSetBytes: 1_263_685_632, availableBytes: 1 },
      fs: { time: T, capacityBytes: 10 },
    },
    pods: [
      {
        podRef: { name: "web", namespace: "default", uid: "u1" }, startTime: T,
        containers: [
          { name: "b", startTime: T, cpu: { time: T, usageCoreNanoSeconds: 500_000_000 }, memory: { time: T, workingSetBytes: 67_108_864 } },
          { name: "a", startTime: T, cpu: { time: T, usageCoreNanoSeconds: 1_000 } },
          { name: "no-stats", startTime: T },
        ],
        cpu: { time: T, usageCoreNanoSeconds: 2_000_000_000 }, memory: { time: T, workingSetBytes: 100 },
        "ephemeral-storage": { time: T, usedBytes: 5 },
      },
      { podRef: { name: 'we"ird\\pod\nx', namespace: "kube-system", uid: "u2" }, startTime: T, containers: [{ name: "c", startTime: T, memory: { time: T, workingSetBytes: 0 } }] },
    ],
  };
}

test("values print as Go's shortest %g", () => {
  assert.is(formatGoFloat(67_108_864), "6.7108864e+07");
  assert.is(formatGoFloat(1_000_000), "1e+06");
  assert.is(formatGoFloat(999_999), "999999");
  assert.is(formatGoFloat(0.5), "0.5");
  assert.is(formatGoFloat(1e-6), "1e-06");
  assert.is(formatGoFloat(0.0001), "0.0001");
  assert.is(formatGoFloat(12345.000000001), "12345.000000001");
  assert.is(formatGoFloat(0), "0");
  assert.is(formatGoFloat(1.5e300), "1.5e+300");
  assert.is(formatGoFloat(NaN), "NaN");
  assert.is(formatGoFloat(Infinity), "+Inf");
  assert.is(formatGoFloat(-Infinity), "-Inf");
});

test("the text format: families by name, label pairs by name, samples by label values, escaping, empty families left out", () => {
  const text = renderPrometheusText([
    { name: "zz", help: "last", type: "gauge", samples: [{ value: 1 }] },
    { name: "empty", help: "none", type: "gauge", samples: [] },
    {
      name: "aa_total", help: "back\\slash\nnewline", type: "counter",
      samples: [{ labels: { z: "2", a: "y" }, value: 3, timestampMs: 1500 }, { labels: { z: "1", a: 'x"q\\\n' }, value: 2 }],
    },
  ]);
  assert.is(text, [
    "# HELP aa_total back\\\\slash\\nnewline",
    "# TYPE aa_total counter",
    'aa_total{a="x\\"q\\\\\\n",z="1"} 2',
    'aa_total{a="y",z="2"} 3 1500',
    "# HELP zz last",
    "# TYPE zz gauge",
    "zz 1",
    "",
  ].join("\n"));
});

test("/metrics/resource: upstream 1.20 names and labels, core-seconds, working sets, timestamps, scrape_error 0", () => {
  const text = renderResourceMetrics(fakeSummary());
  assert.is(text, [
    "# HELP container_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the container in core-seconds",
    "# TYPE container_cpu_usage_seconds_total counter",
    `container_cpu_usage_seconds_total{container="a",namespace="default",pod="web"} 1e-06 ${TMS}`,
    `container_cpu_usage_seconds_total{container="b",namespace="default",pod="web"} 0.5 ${TMS}`,
    "# HELP container_memory_working_set_bytes [ALPHA] Current working set of the container in bytes",
    "# TYPE container_memory_working_set_bytes gauge",
    `container_memory_working_set_bytes{container="b",namespace="default",pod="web"} 6.7108864e+07 ${TMS}`,
    `container_memory_working_set_bytes{container="c",namespace="kube-system",pod="we\\"ird\\\\pod\\nx"} 0 ${TMS}`,
    "# HELP node_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the node in core-seconds",
    "# TYPE node_cpu_usage_seconds_total counter",
    `node_cpu_usage_seconds_total 12345 ${TMS}`,
    "# HELP node_memory_working_set_bytes [ALPHA] Current working set of the node in bytes",
    "# TYPE node_memory_working_set_bytes gauge",
    `node_memory_working_set_bytes 1.263685632e+09 ${TMS}`,
    "# HELP pod_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the pod in core-seconds",
    "# TYPE pod_cpu_usage_seconds_total counter",
    `pod_cpu_usage_seconds_total{namespace="default",pod="web"} 2 ${TMS}`,
    "# HELP pod_memory_working_set_bytes [ALPHA] Current working set of the pod in bytes",
    "# TYPE pod_memory_working_set_bytes gauge",
    `pod_memory_working_set_bytes{namespace="default",pod="web"} 100 ${TMS}`,
    "# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise",
    "# TYPE scrape_error gauge",
    "scrape_error 0",
    "",
  ].join("\n"));
});

test("/metrics/resource when the stats cannot be read: only scrape_error 1", () => {
  assert.is(renderResourceMetrics(undefined), [
    "# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise",
    "# TYPE scrape_error gauge",
    "scrape_error 1",
    "",
  ].join("\n"));
});

function handler(source: Partial<StatsSource> & { calls?: string[] }) {
  const calls: string[] = [];
  const stats: StatsSource = {
    summary: async () => { calls.push("summary"); return source.summary ? source.summary() : fakeSummary(); },
    cpuAndMemory: async () => { calls.push("cpuAndMemory"); return source.cpuAndMemory ? source.cpuAndMemory() : fakeSummary(); },
  };
  return { calls, h: createKubeletApiHandler({ pods: () => [], stats }) };
}

test("GET /stats/summary serves the Summary as JSON; only_cpu_and_memory=true (given once) asks for CPU and memory only", async () => {
  const { h, calls } = handler({});
  const res = await h(new Request("http://k/stats/summary"));
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-type"), "application/json");
  assert.equal(await res.json(), fakeSummary());
  await h(new Request("http://k/stats/summary/?only_cpu_and_memory=true"));
  await h(new Request("http://k/stats/summary?only_cpu_and_memory=false"));
  await h(new Request("http://k/stats/summary?only_cpu_and_memory=true&only_cpu_and_memory=true"));
  assert.equal(calls, ["summary", "cpuAndMemory", "summary", "summary"]);
});

test("GET /stats/summary answers 500 Internal Error when the stats fail; /metrics/resource still answers with scrape_error 1", async () => {
  const { h } = handler({ summary: async () => { throw new Error("CRI ListPodSandbox: Unavailable: down"); }, cpuAndMemory: async () => { throw new Error("down"); } });
  const res = await h(new Request("http://k/stats/summary"));
  assert.is(res.status, 500);
  assert.is(await res.text(), "Internal Error: CRI ListPodSandbox: Unavailable: down\n");
  const m = await h(new Request("http://k/metrics/resource"));
  assert.is(m.status, 200);
  assert.is(m.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.match(await m.text(), /^scrape_error 1$/m);
});

test("stats endpoints: 404 without a stats source, 405 for other methods", async () => {
  const bare = createKubeletApiHandler({ pods: () => [] });
  assert.is((await bare(new Request("http://k/stats/summary"))).status, 404);
  assert.is((await bare(new Request("http://k/metrics/resource"))).status, 404);
  const { h } = handler({});
  assert.is((await h(new Request("http://k/stats/summary", { method: "POST" }))).status, 405);
});

test.run();
