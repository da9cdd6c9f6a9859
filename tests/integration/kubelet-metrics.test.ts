/**
 * The kubelet's own metrics on GET /metrics, from kubelet-ts as a process on a real containerd:
 * after a static pod runs, running pods and containers, CRI operations, pod start and PLEG relist
 * series are there with upstream's names, and the whole body parses as Prometheus text 0.0.4.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { closeTestCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { keepLog, podManifest, removeAndWait, shContainer, trapped, waitRunning } from "./support/podKit.ts";

const test = suite("kubelet metrics");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-metrics");
  await k.start();
  k.writeManifest("web.json", podManifest("metrics-web", { containers: [shContainer("web", trapped("while true; do sleep 1; done"))] }));
  await waitRunning(k, "metrics-web");
});
test.after(async () => {
  keepLog(k, "metrics");
  await removeAndWait(k, "web.json", "metrics-web").catch(() => {});
  await k?.dispose();
  await closeTestCri();
});

interface Series { name: string; labels: Record<string, string>; value: number }

/**
 * A strict reading of the text format: HELP and TYPE once per family and before its samples,
 * every sample of a declared family (histograms through _bucket/_sum/_count), well-formed labels
 * and values, cumulative buckets ending in +Inf equal to _count.
 */
function parsePrometheusText(text: string): Series[] {
  assert.ok(text.endsWith("\n"), "the body ends with a newline");
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const series: Series[] = [];
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === "HELP") {
        assert.not.ok(helped.has(name), `one HELP for ${name}`);
        helped.add(name);
      } else {
        assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(rest), `TYPE of ${name}: ${rest}`);
        assert.not.ok(types.has(name), `one TYPE for ${name}`);
        types.set(name, rest);
      }
      continue;
    }
    const m = sampleRe.exec(line);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    if (labelText !== undefined) {
      const pairRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;
      let at = 0;
      while (at < labelText.length) {
        pairRe.lastIndex = at;
        const p = pairRe.exec(labelText);
        assert.ok(p, `label pairs of ${JSON.stringify(line)}`);
        labels[p[1]!] = p[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
        at = pairRe.lastIndex;
      }
    }
    const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(valueText);
    assert.ok(valueText === "NaN" || !Number.isNaN(value), `a number: ${valueText}`);
    const base = /_(bucket|sum|count)$/.test(name) && types.get(name.replace(/_(bucket|sum|count)$/, "")) === "histogram" ? name.replace(/_(bucket|sum|count)$/, "") : name;
    assert.ok(types.has(base) && helped.has(base), `${name} follows its family's HELP and TYPE`);
    series.push({ name, labels, value });
  }
  // Histograms: cumulative buckets, the last one +Inf and equal to _count.
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Series[]>();
    for (const s of series.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, `${family}_bucket has le`);
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const [key, buckets] of groups) {
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${family} buckets are cumulative`);
      assert.is(buckets[buckets.length - 1]!.labels.le, "+Inf");
      const count = series.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key);
      assert.is(count?.value, buckets[buckets.length - 1]!.value, `${family}_count equals the +Inf bucket`);
    }
  }
  return series;
}

async function scrape(): Promise<{ res: Response; series: Series[]; text: string }> {
  const res = await fetch(`http://127.0.0.1:${k.port}/metrics`);
  const text = await res.text();
  assert.is(res.status, 200, text);
  return { res, text, series: parsePrometheusText(text) };
}

const value = (series: Series[], name: string, labels: Record<string, string> = {}) =>
  series.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test("after a static pod runs, /metrics reports it with upstream's names and parses as Prometheus text", async () => {
  // Running pods and containers come from the PLEG's last relist, which may trail the pod's sync by a period.
  const { res, series, text } = await eventually("pod start observed and relisted", async () => {
    const r = await scrape();
    const started = (value(r.series, "kubelet_pod_start_duration_seconds_count") ?? 0) >= 1;
    return started && (value(r.series, "kubelet_running_pods") ?? 0) >= 1 ? r : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  assert.is(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.ok((value(series, "kubelet_running_pods") ?? 0) >= 1, "kubelet_running_pods >= 1");
  assert.ok((value(series, "kubelet_running_containers", { container_state: "running" }) ?? 0) >= 1, "a running container");
  assert.ok((value(series, "kubelet_runtime_operations_total", { operation_type: "create_container" }) ?? 0) >= 1, "create_container counted");
  assert.ok((value(series, "kubelet_runtime_operations_total", { operation_type: "run_podsandbox" }) ?? 0) >= 1, "run_podsandbox counted");
  assert.ok((value(series, "kubelet_runtime_operations_duration_seconds_count", { operation_type: "start_container" }) ?? 0) >= 1, "start_container timed");
  assert.ok((value(series, "kubelet_pleg_relist_duration_seconds_count") ?? 0) > 0, "PLEG relists timed");
  assert.ok((value(series, "kubelet_pleg_relist_interval_seconds_count") ?? 0) > 0, "PLEG relist intervals");
  assert.ok((value(series, "kubelet_pod_worker_duration_seconds_count", { operation_type: "create" }) ?? 0) >= 1, "the pod's first sync");
  assert.ok(value(series, "kubelet_node_name") === 1, "kubelet_node_name is 1");
  const lastSeen = value(series, "kubelet_pleg_last_seen_seconds") ?? 0;
  assert.ok(Math.abs(lastSeen - Date.now() / 1000) < 60, `PLEG last seen is recent (${lastSeen})`);
  assert.match(text, "# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox\n# TYPE kubelet_running_pods gauge\n");
  assert.match(text, "# TYPE kubelet_pod_start_duration_seconds histogram\n");
});

test("process_* metrics describe the kubelet process", async () => {
  const { series } = await scrape();
  assert.ok((value(series, "process_resident_memory_bytes") ?? 0) > 1 << 20, "resident memory");
  const start = value(series, "process_start_time_seconds") ?? 0;
  assert.ok(start > 1e9 && start <= Date.now() / 1000 + 1, `process start time ${start}`);
  assert.ok((value(series, "process_cpu_seconds_total") ?? 0) > 0, "CPU seconds");
  assert.ok((value(series, "process_open_fds") ?? 0) > 0, "open fds");
});

test.run();
