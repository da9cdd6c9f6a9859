/**
 * `/metrics/resource` as upstream 1.20's resource metrics collector exposes it: node, pod and
 * container CPU (cumulative core-seconds) and working set, each sample stamped with the time it was
 * measured, plus `scrape_error` (1 when the stats could not be read).
 */
import type { Summary } from "../../bindings/kube/stats.ts";
import { renderPrometheusText, type MetricFamily } from "./prometheusText.ts";

const ALPHA = "[ALPHA] ";
const CONTAINER = ["container", "pod", "namespace"] as const;

/** The families of one scrape, from a CPU-and-memory Summary (or none when reading it failed). */
export function resourceMetricFamilies(summary: Summary | undefined): MetricFamily[] {
  const family = (name: string, help: string, type: MetricFamily["type"]): MetricFamily => ({ name, help: ALPHA + help, type, samples: [] });
  const nodeCpu = family("node_cpu_usage_seconds_total", "Cumulative cpu time consumed by the node in core-seconds", "counter");
  const nodeMem = family("node_memory_working_set_bytes", "Current working set of the node in bytes", "gauge");
  const ctrCpu = family("container_cpu_usage_seconds_total", "Cumulative cpu time consumed by the container in core-seconds", "counter");
  const ctrMem = family("container_memory_working_set_bytes", "Current working set of the container in bytes", "gauge");
  const podCpu = family("pod_cpu_usage_seconds_total", "Cumulative cpu time consumed by the pod in core-seconds", "counter");
  const podMem = family("pod_memory_working_set_bytes", "Current working set of the pod in bytes", "gauge");
  const scrapeError = family("scrape_error", "1 if there was an error while getting container metrics, 0 otherwise", "gauge");
  scrapeError.samples.push({ value: summary ? 0 : 1 });
  const all = [nodeCpu, nodeMem, ctrCpu, ctrMem, podCpu, podMem, scrapeError];
  if (!summary) return all;

  const at = (time: string) => Date.parse(time);
  const { node } = summary;
  if (node.cpu?.usageCoreNanoSeconds !== undefined) nodeCpu.samples.push({ value: node.cpu.usageCoreNanoSeconds / 1e9, timestampMs: at(node.cpu.time) });
  if (node.memory?.workingSetBytes !== undefined) nodeMem.samples.push({ value: node.memory.workingSetBytes, timestampMs: at(node.memory.time) });
  for (const pod of summary.pods) {
    const podLabels = { pod: pod.podRef.name, namespace: pod.podRef.namespace };
    for (const c of pod.containers) {
      const labels = Object.fromEntries(CONTAINER.map((k) => [k, k === "container" ? c.name : podLabels[k]]));
      if (c.cpu?.usageCoreNanoSeconds !== undefined) ctrCpu.samples.push({ labels, value: c.cpu.usageCoreNanoSeconds / 1e9, timestampMs: at(c.cpu.time) });
      if (c.memory?.workingSetBytes !== undefined) ctrMem.samples.push({ labels, value: c.memory.workingSetBytes, timestampMs: at(c.memory.time) });
    }
    if (pod.cpu?.usageCoreNanoSeconds !== undefined) podCpu.samples.push({ labels: podLabels, value: pod.cpu.usageCoreNanoSeconds / 1e9, timestampMs: at(pod.cpu.time) });
    if (pod.memory?.workingSetBytes !== undefined) podMem.samples.push({ labels: podLabels, value: pod.memory.workingSetBytes, timestampMs: at(pod.memory.time) });
  }
  return all;
}

/** The `/metrics/resource` body. */
export function renderResourceMetrics(summary: Summary | undefined): string {
  return renderPrometheusText(resourceMetricFamilies(summary));
}
